/**
 * Zipkin v1 JSON list encoder, byte-compatible with Zipkin's `SpanBytesEncoder.JSON_V1`
 * (V2SpanConverter + V1SpanWriter): v2 spans are converted to v1 (./v2-to-v1.ts), the whole
 * message is sized first, then written into one preallocated buffer.
 *
 * Wire layout (compact, keys always in this order, absent values omitted):
 *   [span(,span)*]                          ([] when empty)
 *   span = {"traceId":"<16|32 hex>"(,"parentId":"<16 hex>")?,"id":"<16 hex>","name":"<name or empty>"
 *           (,"timestamp":N)?(,"duration":N)?
 *           (,"annotations":[{"timestamp":N,"value":"v"(,"endpoint":E)?}(,...)*])?
 *           (,"binaryAnnotations":[{"key":"k","value":"v"(,"endpoint":E)?} | {"key":"sa","value":true,"endpoint":E}(,...)*])?
 *           (,"debug":true)?}
 *   E = {"serviceName":"<name or empty>"(,"ipv4":"a.b.c.d")?(,"ipv6":"x::y")?(,"port":N)?}
 * Strings are escaped as Zipkin's JsonEscaper (see ./utf8.ts).
 */
import type { Endpoint, Span } from '../../model/span.js';
import type { V1Annotation, V1BinaryAnnotation, V1Span } from '../../model/v1.js';
import { decimalSize, jsonEscapedSize, writeAscii, writeDecimal, writeJsonEscaped } from './utf8.js';
import { convertV2ToV1 } from './v2-to-v1.js';

// Per-span cache of the last endpoint sized: v1 repeats the local endpoint on every annotation.
let lastEndpoint: Endpoint | undefined;
let lastEndpointSize = 0;

function endpointSize(e: Endpoint): number {
  if (e === lastEndpoint) return lastEndpointSize;
  let size = 18 + jsonEscapedSize(e.serviceName ?? ''); // {"serviceName":""}
  if (e.ipv4 !== undefined) size += 10 + e.ipv4.length; // ,"ipv4":""
  if (e.ipv6 !== undefined) size += 10 + e.ipv6.length;
  if (e.port !== undefined && e.port !== 0) size += 8 + decimalSize(e.port); // ,"port":
  lastEndpoint = e;
  lastEndpointSize = size;
  return size;
}

function writeEndpoint(buf: Uint8Array, pos: number, e: Endpoint): number {
  pos = writeAscii(buf, pos, '{"serviceName":"');
  pos = writeJsonEscaped(buf, pos, e.serviceName ?? '');
  buf[pos++] = 0x22;
  if (e.ipv4 !== undefined) {
    pos = writeAscii(buf, pos, ',"ipv4":"');
    pos = writeAscii(buf, pos, e.ipv4);
    buf[pos++] = 0x22;
  }
  if (e.ipv6 !== undefined) {
    pos = writeAscii(buf, pos, ',"ipv6":"');
    pos = writeAscii(buf, pos, e.ipv6);
    buf[pos++] = 0x22;
  }
  if (e.port !== undefined && e.port !== 0) {
    pos = writeAscii(buf, pos, ',"port":');
    pos = writeDecimal(buf, pos, e.port);
  }
  buf[pos++] = 0x7d;
  return pos;
}

function spanSize(v: V1Span): number {
  let size = 29; // {"traceId":"xxxxxxxxxxxxxxxx"
  if (v.traceIdHigh !== undefined) size += 16;
  if (v.parentId !== undefined) size += 30; // ,"parentId":"0123456789abcdef"
  size += 24; // ,"id":"0123456789abcdef"
  size += 10 + (v.name !== undefined ? jsonEscapedSize(v.name) : 0); // ,"name":""
  if (v.timestamp !== undefined) size += 13 + decimalSize(v.timestamp); // ,"timestamp":
  if (v.duration !== undefined) size += 12 + decimalSize(v.duration); // ,"duration":
  lastEndpoint = undefined;
  const annotations = v.annotations;
  if (annotations.length > 0) {
    size += 17 + annotations.length - 1; // ,"annotations":[] and commas
    for (let i = 0; i < annotations.length; i++) {
      const a = annotations[i] as V1Annotation;
      size += 25 + decimalSize(a.timestamp) + jsonEscapedSize(a.value); // {"timestamp":,"value":""}
      if (a.endpoint !== undefined) size += 12 + endpointSize(a.endpoint); // ,"endpoint":
    }
  }
  const binaryAnnotations = v.binaryAnnotations;
  if (binaryAnnotations.length > 0) {
    size += 23 + binaryAnnotations.length - 1; // ,"binaryAnnotations":[] and commas
    for (let i = 0; i < binaryAnnotations.length; i++) {
      const b = binaryAnnotations[i] as V1BinaryAnnotation;
      if (typeof b.value === 'string') {
        size += 21 + jsonEscapedSize(b.key) + jsonEscapedSize(b.value); // {"key":"","value":""}
        if (b.endpoint !== undefined) size += 12 + endpointSize(b.endpoint);
      } else {
        size += 35 + b.key.length + (b.endpoint !== undefined ? endpointSize(b.endpoint) : 4); // {"key":"","value":true,"endpoint":}
      }
    }
  }
  if (v.debug === true) size += 13; // ,"debug":true
  return size + 1; // }
}

function writeSpan(buf: Uint8Array, pos: number, v: V1Span): number {
  pos = writeAscii(buf, pos, '{"traceId":"');
  if (v.traceIdHigh !== undefined) pos = writeAscii(buf, pos, v.traceIdHigh);
  pos = writeAscii(buf, pos, v.traceId);
  buf[pos++] = 0x22;
  if (v.parentId !== undefined) {
    pos = writeAscii(buf, pos, ',"parentId":"');
    pos = writeAscii(buf, pos, v.parentId);
    buf[pos++] = 0x22;
  }
  pos = writeAscii(buf, pos, ',"id":"');
  pos = writeAscii(buf, pos, v.id);
  pos = writeAscii(buf, pos, '","name":"');
  if (v.name !== undefined) pos = writeJsonEscaped(buf, pos, v.name);
  buf[pos++] = 0x22;
  if (v.timestamp !== undefined) {
    pos = writeAscii(buf, pos, ',"timestamp":');
    pos = writeDecimal(buf, pos, v.timestamp);
  }
  if (v.duration !== undefined) {
    pos = writeAscii(buf, pos, ',"duration":');
    pos = writeDecimal(buf, pos, v.duration);
  }
  const annotations = v.annotations;
  if (annotations.length > 0) {
    pos = writeAscii(buf, pos, ',"annotations":[');
    for (let i = 0; i < annotations.length; i++) {
      const a = annotations[i] as V1Annotation;
      if (i > 0) buf[pos++] = 0x2c;
      pos = writeAscii(buf, pos, '{"timestamp":');
      pos = writeDecimal(buf, pos, a.timestamp);
      pos = writeAscii(buf, pos, ',"value":"');
      pos = writeJsonEscaped(buf, pos, a.value);
      buf[pos++] = 0x22;
      if (a.endpoint !== undefined) {
        pos = writeAscii(buf, pos, ',"endpoint":');
        pos = writeEndpoint(buf, pos, a.endpoint);
      }
      buf[pos++] = 0x7d;
    }
    buf[pos++] = 0x5d;
  }
  const binaryAnnotations = v.binaryAnnotations;
  if (binaryAnnotations.length > 0) {
    pos = writeAscii(buf, pos, ',"binaryAnnotations":[');
    for (let i = 0; i < binaryAnnotations.length; i++) {
      const b = binaryAnnotations[i] as V1BinaryAnnotation;
      if (i > 0) buf[pos++] = 0x2c;
      pos = writeAscii(buf, pos, '{"key":"');
      if (typeof b.value === 'string') {
        pos = writeJsonEscaped(buf, pos, b.key);
        pos = writeAscii(buf, pos, '","value":"');
        pos = writeJsonEscaped(buf, pos, b.value);
        buf[pos++] = 0x22;
        if (b.endpoint !== undefined) {
          pos = writeAscii(buf, pos, ',"endpoint":');
          pos = writeEndpoint(buf, pos, b.endpoint);
        }
      } else {
        // Address annotation (ca/sa/ma): Zipkin writes the key raw and always an endpoint.
        pos = writeAscii(buf, pos, b.key);
        pos = writeAscii(buf, pos, '","value":true,"endpoint":');
        pos = b.endpoint !== undefined ? writeEndpoint(buf, pos, b.endpoint) : writeAscii(buf, pos, 'null');
      }
      buf[pos++] = 0x7d;
    }
    buf[pos++] = 0x5d;
  }
  if (v.debug === true) pos = writeAscii(buf, pos, ',"debug":true');
  buf[pos++] = 0x7d;
  return pos;
}

/** Encodes spans as a Zipkin v1 JSON list (what `SpanBytesEncoder.JSON_V1.encodeList` writes). */
export function encodeJsonV1(spans: readonly Span[]): Uint8Array {
  const n = spans.length;
  if (n === 0) return new Uint8Array([0x5b, 0x5d]);
  const v1s: V1Span[] = new Array(n);
  let size = 2 + n - 1; // [] and commas
  for (let i = 0; i < n; i++) {
    const v1 = convertV2ToV1(spans[i] as Span);
    v1s[i] = v1;
    size += spanSize(v1);
  }
  lastEndpoint = undefined;
  const buf = new Uint8Array(size);
  let pos = 0;
  buf[pos++] = 0x5b;
  for (let i = 0; i < n; i++) {
    if (i > 0) buf[pos++] = 0x2c;
    pos = writeSpan(buf, pos, v1s[i] as V1Span);
  }
  buf[pos++] = 0x5d;
  if (pos !== size) throw new Error(`encodeJsonV1: wrote ${pos} bytes, sized ${size}`);
  return buf;
}
