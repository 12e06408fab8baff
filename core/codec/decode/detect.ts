/**
 * Per-message encoding detection, exactly as Zipkin's Kafka collector does it
 * (KafkaCollectorWorker + SpanBytesDecoderDetector; ../shared/notes/zipkin-formats.md B.8), so
 * anything Zipkin accepts from Kafka, tracefold accepts too.
 */
import type { Encoding } from '../../model/span.js';

export type Detected =
  | { kind: 'empty' }
  | { kind: 'too_short' }
  | { kind: 'single-thrift' }
  | { kind: 'list'; encoding: Encoding }
  | { kind: 'unknown'; reason: string };

const ENDPOINT_QUOTE = [0x45, 0x6e, 0x64, 0x70, 0x6f, 0x69, 0x6e, 0x74, 0x22]; // Endpoint"
const TAGS_QUOTED = [0x22, 0x74, 0x61, 0x67, 0x73, 0x22]; // "tags"

function contains(bytes: Uint8Array, needle: readonly number[]): boolean {
  const first = needle[0] as number;
  const n = needle.length;
  const last = bytes.length - n;
  for (let i = bytes.indexOf(first); i >= 0 && i <= last; i = bytes.indexOf(first, i + 1)) {
    let j = 1;
    while (j < n && bytes[i + j] === needle[j]) j++;
    if (j === n) return true;
  }
  return false;
}

function isProto3(bytes: Uint8Array): boolean {
  // Field 1 (ListOfSpans.spans), wire type 2, then a non-zero length. A v1 Thrift span starts
  // 0x0A 0x00 0x01 (i64 field id 1), which is why the second byte tells them apart.
  return bytes[0] === 10 && bytes[1] !== 0;
}

const RESOURCE_SPANS_QUOTED = [0x22, 0x72, 0x65, 0x73, 0x6f, 0x75, 0x72, 0x63, 0x65, 0x53, 0x70, 0x61, 0x6e, 0x73, 0x22]; // "resourceSpans"

/** One varint at `p` (bounded by `end`); [value, next position], or null when it runs past `end`. */
function varint(b: Uint8Array, p: number, end: number): [number, number] | null {
  let v = 0;
  let mul = 1;
  for (let i = 0; i < 10 && p < end; i++) {
    const c = b[p++] as number;
    v += (c & 0x7f) * mul;
    if (c < 0x80) return [v, p];
    mul *= 128;
  }
  return null;
}

/**
 * Length-delimited fields only, each inside [p, end); calls `f(field, start, end)` for each and
 * stops (false) at the first other wire type or overrun, or when `f` returns false.
 */
function lenFields(b: Uint8Array, p: number, end: number, f: (field: number, s: number, e: number) => boolean): boolean {
  while (p < end) {
    const t = varint(b, p, end);
    if (t === null || t[0] % 8 !== 2) return false;
    const l = varint(b, t[1], end);
    if (l === null || l[0] > end - l[1]) return false;
    if (!f(t[0] >>> 3, l[1], l[1] + l[0])) return false;
    p = l[1] + l[0];
  }
  return true;
}

/**
 * Both Zipkin's ListOfSpans and OTLP's ExportTraceServiceRequest start with field 1 as a
 * submessage (0x0A), so the first byte cannot tell them apart. This is an OTLP request when its
 * first element that holds a span is a well-formed ResourceSpans: only length-delimited fields
 * 1-3 (resource, scope_spans, schema_url) and a scope_spans (field 2) whose spans (field 2) begin
 * with a 16-byte trace_id. A Zipkin span can never pass: any span with kind, name, timestamp,
 * duration or endpoints has a field number above 3 or a non-length wire type, and a span with
 * only IDs carries an 8-byte parent_id as field 2, too short to hold a span with a 16-byte
 * trace_id (a tag, a length and 16 bytes). Proven on real bytes in test/unit/core/codec/decode/otlp.test.ts.
 */
export function isOtlpProto(b: Uint8Array): boolean {
  let verdict: boolean | undefined;
  lenFields(b, 0, b.length, (field, s, e) => {
    if (field !== 1) {
      verdict = false;
      return false;
    }
    let sawSpan = false;
    const ok = lenFields(b, s, e, (f, ss, se) => {
      if (f < 1 || f > 3) return false;
      if (f !== 2) return true;
      return lenFields(b, ss, se, (g, ps, pe) => {
        if (g !== 2) return g === 1 || g === 3;
        if (pe - ps >= 18 && b[ps] === 0x0a && b[ps + 1] === 16) sawSpan = true;
        return pe - ps >= 18 && b[ps] === 0x0a && b[ps + 1] === 16;
      });
    });
    if (!ok) {
      verdict = false;
      return false;
    }
    if (sawSpan) {
      verdict = true;
      return false;
    }
    return true; // a ResourceSpans without spans decides nothing: look at the next one
  });
  return verdict === true;
}

/**
 * The encoding to decode with: the topic's configured one when given (OTLP cannot always be told
 * from Zipkin's formats, so a topic may name it), else detected per message.
 */
export function detectAs(bytes: Uint8Array, encoding: Encoding | undefined): Detected {
  if (encoding === undefined) return detect(bytes);
  if (bytes.length === 0) return { kind: 'empty' };
  return { kind: 'list', encoding };
}

export function detect(bytes: Uint8Array): Detected {
  if (bytes.length === 0) return { kind: 'empty' };
  if (bytes.length < 2) return { kind: 'too_short' };
  const first = bytes[0] as number;
  if (first === 10 && isOtlpProto(bytes)) return { kind: 'list', encoding: 'otlp-proto' };
  if (!isProto3(bytes) && first <= 16 && first !== 12) return { kind: 'single-thrift' };
  if (first <= 16) return { kind: 'list', encoding: isProto3(bytes) ? 'proto3' : 'thrift' };
  if (first !== 0x5b /* [ */) {
    if (first === 0x7b /* { */ && contains(bytes, RESOURCE_SPANS_QUOTED)) return { kind: 'list', encoding: 'otlp-json' };
    if (first === 0x7b /* { */)
      return { kind: 'unknown', reason: 'Expected json, proto3 or thrift list encoding (a bare JSON object is not a span list)' };
    // Tolerate leading JSON whitespace, which Zipkin would reject: salvage, don't drop.
    let i = 0;
    while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
    if (i > 0 && bytes[i] === 0x7b && contains(bytes, RESOURCE_SPANS_QUOTED)) return { kind: 'list', encoding: 'otlp-json' };
    if (i === 0 || bytes[i] !== 0x5b) return { kind: 'unknown', reason: 'Could not detect the span format' };
  }
  if (contains(bytes, ENDPOINT_QUOTE) || contains(bytes, TAGS_QUOTED)) return { kind: 'list', encoding: 'json-v2' };
  return { kind: 'list', encoding: 'json-v1' };
}
