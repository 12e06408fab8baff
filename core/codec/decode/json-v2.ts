/**
 * Zipkin JSON v2 list decoder (zipkin2-api.yaml `ListOfSpans`).
 *
 * Wire format: one UTF-8 JSON array of span objects
 *   [{"traceId":"<16|32 hex>","parentId":"<16 hex>","id":"<16 hex>","kind":"CLIENT|SERVER|PRODUCER|CONSUMER",
 *     "name":"…","timestamp":<epoch µs>,"duration":<µs>,
 *     "localEndpoint":{"serviceName":"…","ipv4":"a.b.c.d","ipv6":"…","port":<int>},"remoteEndpoint":{…},
 *     "annotations":[{"timestamp":<µs>,"value":"…"}],"tags":{"<k>":"<v>"},"debug":true,"shared":true}, …]
 * Every field but traceId and id is optional; null means absent and unknown fields are ignored, as
 * in Zipkin's `V2SpanReader`.
 *
 * Strategy: validate UTF-8 natively (simdutf), let V8's `JSON.parse` build the tree (nothing
 * hand-written in JS comes close to it), then type-check each span and copy it into a fixed-shape
 * `RawSpan` so that `normalizeSpan` sees one hidden class instead of one per key order. A span
 * with a wrong-typed field becomes one `invalid_field` error and the others are kept.
 *
 * Repairs where the intent is unambiguous: numeric/boolean tag and annotation values become
 * strings, integer timestamps/durations/ports given as decimal strings are read as numbers, a null
 * tag value drops that tag (Zipkin rejects the message), kind in any case (normalizeSpan).
 * Not repaired: numeric IDs (a JSON number cannot say whether it was hex or decimal, and loses
 * digits beyond 2^53), numbers beyond 2^53 (JSON.parse already rounded them).
 *
 * Deep nesting: V8's JSON parser is iterative, so `[[[[…` cannot overflow the stack; measured on
 * Node 20 it costs ~3x the time and ~4x the memory of flat JSON of the same size (16 MiB of
 * nesting: ~3 s, ~0.5 GB), which `maxBytes` bounds. A RangeError from any engine is still
 * reported as `too_deep`.
 *
 * UTF-8: `isUtf8` (simdutf) + `utf8Slice` instead of `new TextDecoder('utf-8', {fatal: true})`:
 * the same WHATWG strictness (no overlongs, surrogates or > U+10FFFF) at about half the cost.
 */
import { Buffer, isUtf8 } from 'node:buffer';
import { isNormalizeFailure, normalizeSpan, type RawSpan } from '../../model/normalize.js';
import type { Annotation, DecodeErrorCode, DecodeResult, Endpoint, Span } from '../../model/span.js';
import { asBuffer, firstInvalidUtf8, setTag } from './bytes.js';
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_ERRORS, type DecodeOptions, messageError, SpanErrors } from './limits.js';

const ENCODING = 'json-v2';

export function decodeJsonV2(bytes: Uint8Array, options?: DecodeOptions): DecodeResult {
  const maxBytes = options?.maxBytes ?? DEFAULT_MAX_BYTES;
  const n = bytes.length;
  if (n > maxBytes) return failed('too_large', 0, `message of ${n} bytes exceeds the ${maxBytes}-byte limit`);
  if (n === 0) return failed('empty', 0, 'empty message');
  if (!isUtf8(bytes)) {
    const at = firstInvalidUtf8(bytes);
    return failed('invalid_utf8', at, `invalid UTF-8 at byte ${at}`);
  }
  // A UTF-8 BOM is legal in a byte stream but not in JSON text; tolerate it.
  const start = n >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const errors = new SpanErrors(ENCODING, options?.maxErrors ?? DEFAULT_MAX_ERRORS);
  const spans: Span[] = [];
  let text = '';
  try {
    text = asBuffer(bytes).utf8Slice(start, n);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      return { encoding: ENCODING, spans, errors: [parseError(err, text, start, n)] };
    }
    if (!Array.isArray(parsed)) {
      return failed('not_a_list', start, `expected a JSON array of spans, got ${describe(parsed)}`);
    }
    const list: unknown[] = parsed;
    let locator: ElementLocator | undefined;
    for (let i = 0; i < list.length; i++) {
      const raw = toRawSpan(list[i]);
      let code: 'invalid_field' | 'missing_field' | 'invalid_id';
      let reason: string;
      if (typeof raw === 'string') {
        code = 'invalid_field';
        reason = raw;
      } else {
        const span = normalizeSpan(raw);
        if (!isNormalizeFailure(span)) {
          spans.push(span);
          continue;
        }
        code = span.code;
        reason = span.reason;
      }
      // Offsets are only needed on this (rare) path: find them by a lazy, resumable scan.
      let offset = -1;
      if (!errors.full) {
        locator ??= new ElementLocator(bytes, start);
        offset = locator.offsetOf(i);
      }
      errors.add(i, offset, code, `span ${i}: ${reason}`);
    }
  } catch (err) {
    // Defensive: nothing above is expected to throw once the input is valid UTF-8 under the limit.
    errors.add(-1, -1, 'malformed', `decoder failure: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { encoding: ENCODING, spans, errors: errors.finish() };
}

function failed(code: DecodeErrorCode, offset: number, reason: string): DecodeResult {
  return { encoding: ENCODING, spans: [], errors: [messageError(ENCODING, code, offset, reason)] };
}

function parseError(err: unknown, text: string, start: number, n: number) {
  if (err instanceof RangeError) return messageError(ENCODING, 'too_deep', -1, `JSON nested too deeply: ${err.message}`);
  const message = err instanceof Error ? err.message : String(err);
  // V8 reports "… in JSON at position N" (UTF-16 index) for most errors, "Unexpected end of JSON
  // input" when the text stops early; older and newer messages differ, so this is best effort.
  const m = /position (\d+)/.exec(message);
  const pos = m?.[1] !== undefined ? Number(m[1]) : -1;
  if (message.includes('end of JSON input') || pos >= text.length) {
    return messageError(ENCODING, 'truncated', n, `JSON ends early: ${message}`);
  }
  const offset = pos >= 0 ? start + Buffer.byteLength(text.slice(0, pos), 'utf8') : -1;
  return messageError(ENCODING, 'malformed', offset, `not JSON: ${message}`);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  const t = typeof v;
  return t === 'object' ? 'an object' : t === 'string' ? 'a string' : `a ${t}`;
}

// ---------------------------------------------------------------------------------------------
// Per-span type checks. Helpers return the value, undefined (absent/null), or BAD with the reason
// left in `badReason`: no exceptions, because a hostile message can hold a million bad spans and
// a thrown Error costs microseconds (stack capture).

const BAD: unique symbol = Symbol('bad');
type Bad = typeof BAD;
let badReason = '';

/**
 * Field names are passed as (prefix, name) and only joined here, on the error path: building
 * `${field}.port` eagerly would allocate a string per field per span.
 */
function bad(prefix: string, field: string, expected: string, v: unknown): Bad {
  badReason = `${prefix}${field} must be ${expected}, got ${describe(v)}`;
  return BAD;
}

function str(v: unknown, prefix: string, field: string): string | undefined | Bad {
  if (typeof v === 'string') return v;
  if (v === undefined || v === null) return undefined;
  return bad(prefix, field, 'a string', v);
}

const INTEGER_TEXT = /^-?\d{1,16}$/;

/** An integer in JSON (number, or decimal string), exact: |v| ≤ 2^53. */
function int(v: unknown, prefix: string, field: string): number | undefined | Bad {
  if (typeof v === 'number') {
    if (v <= Number.MAX_SAFE_INTEGER && v >= -Number.MAX_SAFE_INTEGER) return v;
    badReason = `${prefix}${field} ${v} is beyond 2^53 (not exactly representable)`;
    return BAD;
  }
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string' && INTEGER_TEXT.test(v)) {
    const x = Number(v);
    if (x <= Number.MAX_SAFE_INTEGER && x >= -Number.MAX_SAFE_INTEGER) return x;
  }
  return bad(prefix, field, 'an integer', v);
}

function bool(v: unknown, field: string): boolean | undefined | Bad {
  if (v === true || v === false) return v;
  if (v === undefined || v === null) return undefined;
  return bad('', field, 'a boolean', v);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function endpoint(v: unknown, field: string): Endpoint | undefined | Bad {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) return bad('', field, 'an object', v);
  const serviceName = str(v.serviceName, field, '.serviceName');
  if (serviceName === BAD) return BAD;
  const ipv4 = str(v.ipv4, field, '.ipv4');
  if (ipv4 === BAD) return BAD;
  const ipv6 = str(v.ipv6, field, '.ipv6');
  if (ipv6 === BAD) return BAD;
  const port = int(v.port, field, '.port');
  if (port === BAD) return BAD;
  // Fixed shape (absent = undefined) keeps normalizeEndpoint's property loads monomorphic.
  return { serviceName, ipv4, ipv6, port };
}

/** Tag and annotation values: numbers and booleans are taken as their JSON text. */
function textValue(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

function annotations(v: unknown): Annotation[] | undefined | Bad {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) return bad('', 'annotations', 'an array', v);
  const out: Annotation[] = [];
  for (let i = 0; i < v.length; i++) {
    const a: unknown = v[i];
    if (!isObject(a)) return bad('annotations', `[${i}]`, 'an object', a);
    const timestamp = int(a.timestamp, 'annotations', `[${i}].timestamp`);
    if (timestamp === BAD) return BAD;
    const value = textValue(a.value);
    if (timestamp === undefined || value === undefined) {
      badReason = `annotations[${i}] needs a timestamp and a string value`;
      return BAD;
    }
    // Always a fresh {timestamp, value}: the parsed object may carry extra keys (v1 "endpoint").
    out.push({ timestamp, value });
  }
  return out;
}

function tags(v: unknown): Record<string, string> | undefined | Bad {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) return bad('', 'tags', 'an object', v);
  const keys = Object.keys(v);
  // The parsed object is used as is unless a value needs repair (copy on first repair).
  let copy: Record<string, string> | undefined;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    const val = v[k];
    if (typeof val === 'string') {
      if (copy !== undefined) setTag(copy, k, val);
      continue;
    }
    if (copy === undefined) {
      copy = {};
      for (let j = 0; j < i; j++) setTag(copy, keys[j] as string, v[keys[j] as string] as string);
    }
    if (val === null) continue; // nothing to keep
    const text = textValue(val);
    if (text === undefined) return bad('tags', `[${JSON.stringify(k.slice(0, 40))}]`, 'a string', val);
    setTag(copy, k, text);
  }
  return copy ?? (v as Record<string, string>);
}

/** Type-checks one parsed span; returns the RawSpan or the reason it is unusable. */
function toRawSpan(v: unknown): RawSpan | string {
  if (!isObject(v)) return `span must be an object, got ${describe(v)}`;
  const traceId = str(v.traceId, '', 'traceId');
  if (traceId === BAD) return badReason;
  const parentId = str(v.parentId, '', 'parentId');
  if (parentId === BAD) return badReason;
  const id = str(v.id, '', 'id');
  if (id === BAD) return badReason;
  const kind = str(v.kind, '', 'kind');
  if (kind === BAD) return badReason;
  const name = str(v.name, '', 'name');
  if (name === BAD) return badReason;
  const timestamp = int(v.timestamp, '', 'timestamp');
  if (timestamp === BAD) return badReason;
  const duration = int(v.duration, '', 'duration');
  if (duration === BAD) return badReason;
  const localEndpoint = endpoint(v.localEndpoint, 'localEndpoint');
  if (localEndpoint === BAD) return badReason;
  const remoteEndpoint = endpoint(v.remoteEndpoint, 'remoteEndpoint');
  if (remoteEndpoint === BAD) return badReason;
  const anns = annotations(v.annotations);
  if (anns === BAD) return badReason;
  const tagMap = tags(v.tags);
  if (tagMap === BAD) return badReason;
  const debug = bool(v.debug, 'debug');
  if (debug === BAD) return badReason;
  const shared = bool(v.shared, 'shared');
  if (shared === BAD) return badReason;
  return {
    traceId,
    parentId,
    id,
    kind,
    name,
    timestamp,
    duration,
    localEndpoint,
    remoteEndpoint,
    annotations: anns,
    tags: tagMap,
    debug,
    shared,
  };
}

// ---------------------------------------------------------------------------------------------

/**
 * Finds the byte offset of top-level array element i in JSON that already parsed. Errors come in
 * increasing index order, so the scan resumes where it stopped: linear in the message overall.
 */
class ElementLocator {
  private pos: number;
  private index = 0;

  constructor(
    private readonly b: Uint8Array,
    private readonly start: number,
  ) {
    this.pos = this.first();
  }

  private first(): number {
    let p = this.start;
    while (p < this.b.length && this.b[p] !== 0x5b /* [ */) p++;
    return this.skipWs(p + 1);
  }

  private skipWs(p: number): number {
    const b = this.b;
    while (p < b.length) {
      const c = b[p];
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      p++;
    }
    return p;
  }

  /** Position after the string starting at p (b[p] is the opening quote). */
  private skipString(p: number): number {
    const b = this.b;
    p++;
    while (p < b.length) {
      const c = b[p];
      if (c === 0x5c /* \ */) p += 2;
      else if (c === 0x22 /* " */) return p + 1;
      else p++;
    }
    return p;
  }

  private skipValue(p: number): number {
    const b = this.b;
    let depth = 0;
    while (p < b.length) {
      const c = b[p];
      if (c === 0x22) {
        p = this.skipString(p);
        if (depth === 0) return p;
        continue;
      }
      if (c === 0x5b || c === 0x7b) depth++;
      else if (c === 0x5d || c === 0x7d) {
        if (depth === 0) return p; // end of the enclosing array: scalar ended
        depth--;
        if (depth === 0) return p + 1;
      } else if (depth === 0 && c === 0x2c /* , */) return p;
      p++;
    }
    return p;
  }

  offsetOf(i: number): number {
    if (i < this.index) {
      this.index = 0;
      this.pos = this.first();
    }
    while (this.index < i && this.pos < this.b.length) {
      let p = this.skipWs(this.skipValue(this.pos));
      if (this.b[p] === 0x2c) p++;
      this.pos = this.skipWs(p);
      this.index++;
    }
    return this.index === i && this.pos < this.b.length ? this.pos : -1;
  }
}
