/**
 * Zipkin JSON v2 list encoder, byte-compatible with `SpanBytesEncoder.JSON_V2` (V2SpanWriter and
 * JsonEscaper in openzipkin/zipkin).
 *
 * Wire format: `[` span `,` span … `]` (UTF-8), each span an object with keys in this order,
 * absent ones omitted (never null):
 *   traceId, parentId, id, kind, name, timestamp (≠ 0), duration (≠ 0),
 *   localEndpoint, remoteEndpoint: {serviceName, ipv4, ipv6, port (≠ 0)}, omitted when empty,
 *   annotations: [{timestamp, value}] (list order), tags: {k: v} keys sorted (Java TreeMap order),
 *   debug: true, shared: true (only when true).
 * Zipkin's escaping differs from JSON.stringify in two ways, reproduced here: U+2028/U+2029 are
 * escaped (\u2028, \u2029) and an unpaired surrogate is written as '?' (not \udXXX). Shared with
 * JSON.stringify: \" \\ \b \t \n \f \r, other C0 controls as lower-case \u00XX, '/' and U+007F raw.
 */
import { Buffer } from 'node:buffer';
import type { Endpoint, Span } from '../../model/span.js';

// Everything that is not copied as is: C0 controls, quote, backslash, U+2028/2029, surrogates
// (pairs are fine but take the slow path so that a lone one is caught).
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what must be escaped.
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\u2028\u2029\ud800-\udfff]/;
const HEX = '0123456789abcdef';

function escapeSlow(s: string): string {
  let out = '"';
  let from = 0;
  const len = s.length;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    let rep: string;
    if (c < 0x20) {
      if (c === 0x08) rep = '\\b';
      else if (c === 0x09) rep = '\\t';
      else if (c === 0x0a) rep = '\\n';
      else if (c === 0x0c) rep = '\\f';
      else if (c === 0x0d) rep = '\\r';
      else rep = `\\u00${HEX[c >> 4]}${HEX[c & 15]}`;
    } else if (c === 0x22) rep = '\\"';
    else if (c === 0x5c) rep = '\\\\';
    else if (c === 0x2028) rep = '\\u2028';
    else if (c === 0x2029) rep = '\\u2029';
    else if (c >= 0xd800 && c <= 0xdfff) {
      const low = c <= 0xdbff && i + 1 < len ? s.charCodeAt(i + 1) : 0;
      if (low >= 0xdc00 && low <= 0xdfff) {
        i++; // a valid pair: copied as is
        continue;
      }
      rep = '?'; // Zipkin's WriteBuffer.writeUtf8 writes '?' for an unpaired surrogate
    } else continue;
    if (i > from) out += s.slice(from, i);
    out += rep;
    from = i + 1;
  }
  if (from < len) out += from === 0 ? s : s.slice(from);
  return `${out}"`;
}

/** The JSON string literal of `s` as Zipkin writes it. */
export function quoteZipkin(s: string): string {
  return NEEDS_ESCAPE.test(s) ? escapeSlow(s) : `"${s}"`;
}

function endpointJson(e: Endpoint): string {
  let out = '';
  if (e.serviceName) out += `,"serviceName":${quoteZipkin(e.serviceName)}`;
  if (e.ipv4) out += `,"ipv4":${quoteZipkin(e.ipv4)}`;
  if (e.ipv6) out += `,"ipv6":${quoteZipkin(e.ipv6)}`;
  if (e.port !== undefined && e.port !== 0) out += `,"port":${e.port}`;
  // Zipkin's builder turns an endpoint without fields into null, so it is never written.
  return out === '' ? '' : `{${out.slice(1)}}`;
}

/** One span as Zipkin's JSON v2 object. IDs go through the escaper too: cheap insurance. */
export function spanToJsonV2(span: Span): string {
  let out = `{"traceId":${quoteZipkin(span.traceId)}`;
  if (span.parentId !== undefined) out += `,"parentId":${quoteZipkin(span.parentId)}`;
  out += `,"id":${quoteZipkin(span.id)}`;
  if (span.kind !== undefined) out += `,"kind":"${span.kind}"`;
  if (span.name) out += `,"name":${quoteZipkin(span.name)}`;
  if (span.timestamp) out += `,"timestamp":${span.timestamp}`;
  if (span.duration) out += `,"duration":${span.duration}`;
  if (span.localEndpoint !== undefined) {
    const e = endpointJson(span.localEndpoint);
    if (e !== '') out += `,"localEndpoint":${e}`;
  }
  if (span.remoteEndpoint !== undefined) {
    const e = endpointJson(span.remoteEndpoint);
    if (e !== '') out += `,"remoteEndpoint":${e}`;
  }
  const annotations = span.annotations;
  if (annotations !== undefined && annotations.length > 0) {
    out += ',"annotations":[';
    for (let i = 0; i < annotations.length; i++) {
      const a = annotations[i] as (typeof annotations)[number];
      out += `${i === 0 ? '' : ','}{"timestamp":${a.timestamp},"value":${quoteZipkin(a.value)}}`;
    }
    out += ']';
  }
  const tags = span.tags;
  if (tags !== undefined) {
    const keys = Object.keys(tags);
    if (keys.length > 0) {
      // Object.keys lists integer-like keys first whatever the insertion order: re-sort if needed.
      for (let i = 1; i < keys.length; i++) {
        if ((keys[i - 1] as string) >= (keys[i] as string)) {
          keys.sort();
          break;
        }
      }
      out += ',"tags":{';
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i] as string;
        out += `${i === 0 ? '' : ','}${quoteZipkin(k)}:${quoteZipkin(tags[k] as string)}`;
      }
      out += '}';
    }
  }
  if (span.debug === true) out += ',"debug":true';
  if (span.shared === true) out += ',"shared":true';
  return `${out}}`;
}

/**
 * Encodes spans as a JSON v2 list. The result owns its ArrayBuffer exactly (not a slice of
 * Buffer's shared pool), so it can be transferred to another thread.
 */
export function encodeJsonV2(spans: readonly Span[]): Uint8Array {
  let json = '[';
  for (let i = 0; i < spans.length; i++) {
    if (i > 0) json += ',';
    json += spanToJsonV2(spans[i] as Span);
  }
  json += ']';
  // The text is well-formed UTF-16 (lone surrogates became '?'), so Buffer's UTF-8 is Zipkin's.
  const size = Buffer.byteLength(json, 'utf8');
  const buf = Buffer.allocUnsafeSlow(size);
  buf.write(json, 0, size, 'utf8');
  return buf;
}
