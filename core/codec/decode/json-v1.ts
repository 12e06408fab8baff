/**
 * Zipkin v1 JSON list decoder (zipkin-api.yaml `ListOfSpans`; Zipkin's V1JsonSpanReader).
 *
 * Wire layout (UTF-8 JSON):
 *   [ { "traceId": hex(16|32), "name": str, "id": hex16, "parentId": hex16?,
 *       "timestamp": µs?, "duration": µs?, "debug": bool?,
 *       "annotations": [ { "timestamp": µs, "value": str, "endpoint": Endpoint? } ],
 *       "binaryAnnotations": [ { "key": str, "value": str | bool | number, "type": str?,
 *                                "endpoint": Endpoint? } ] }, ... ]
 *   Endpoint = { "serviceName": str, "ipv4": str?, "ipv6": str?, "port": int? }
 *
 * Parsing is V8's JSON.parse (fast, iterative so nesting depth cannot blow the stack) after a
 * fatal UTF-8 decode; each span is then read on its own, so one bad span is reported (with its
 * index and byte offset) and the others are kept. Rules follow V1JsonSpanReader:
 * - traceId and id are required strings; `null` for any other field means absent.
 * - traceId: 32 hex chars carry traceIdHigh; 17–31 chars keep only the low 16 (Zipkin reads the
 *   high bits only from exactly 32); ids longer than 16 likewise keep their last 16 chars. A zero
 *   low trace ID is refused (V1Span: "traceId == 0"). Upper-case hex is repaired by normalize.ts.
 * - timestamps: JSON numbers or numeric strings (Gson's nextLong); beyond 2^53 → the span fails
 *   (a JS number cannot hold it exactly); fractions are truncated (Gson would refuse them).
 * - an annotation needs timestamp and value, a binary annotation needs a key (else the span fails).
 * - binary annotation values: a string is a tag (whatever "type" says); `true` with an endpoint
 *   and key ca/sa/ma is an address; other booleans and numbers are dropped by zipkin2 and kept by
 *   default here as tags in zipkin 1.x's text (see V1DecodeOptions.typedBinaryAnnotations).
 */
import { isNormalizeFailure, normalizeSpan } from '../../model/normalize.js';
import type { DecodeErrorCode, DecodeResult, Endpoint, Span } from '../../model/span.js';
import type { V1Annotation, V1BinaryAnnotation, V1Span } from '../../model/v1.js';
import { firstInvalidUtf8 } from './bytes.js';
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_ERRORS, SpanErrors } from './limits.js';
import { convertV1ToV2, formatJavaDouble, type V1DecodeOptions } from './v1-to-v2.js';

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Why the span being read was refused; set by the readers below, which then return undefined. */
let failCode: DecodeErrorCode = 'malformed';
let failReason = '';

function fail(code: DecodeErrorCode, reason: string): undefined {
  failCode = code;
  failReason = reason;
  return undefined;
}

type Json = unknown;

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Gson's nextString also accepts a number token (its text). */
function stringOf(v: Json): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

/**
 * Gson's nextLong: a number, or a string holding one; NaN when not, or when beyond what a JS
 * number holds exactly. A fraction is truncated as a Java long would hold it (Gson refuses it).
 */
function longOf(v: Json): number {
  let n: number;
  if (typeof v === 'number') {
    n = v;
  } else if (typeof v === 'string' && /^\s*-?\d+(\.\d+)?([eE][+-]?\d+)?\s*$/.test(v)) {
    n = Number(v);
  } else {
    return Number.NaN;
  }
  if (!(n <= Number.MAX_SAFE_INTEGER && n >= -Number.MAX_SAFE_INTEGER)) return Number.NaN;
  return Math.trunc(n);
}

const ZEROS16 = '0000000000000000';

/** Zipkin's lowerHexToUnsignedLong keeps the low 64 bits of a longer ID. */
function low64(id: string): string {
  return id.length > 16 ? id.slice(id.length - 16) : id;
}

function isAllZeros(hex: string): boolean {
  for (let i = 0; i < hex.length; i++) if (hex.charCodeAt(i) !== 0x30) return false;
  return true;
}

function readEndpoint(v: Json, path: string): Endpoint | undefined | null {
  // null: the span fails; undefined: no endpoint.
  if (v === null || v === undefined) return undefined;
  if (!isObject(v)) {
    fail('invalid_field', `${path} is not an object`);
    return null;
  }
  const out: Endpoint = {};
  const serviceName = v.serviceName;
  if (serviceName !== undefined && serviceName !== null) {
    const s = stringOf(serviceName);
    if (s === undefined) {
      fail('invalid_field', `${path}.serviceName is not a string`);
      return null;
    }
    out.serviceName = s;
  }
  // Zipkin parses both ipv4 and ipv6 with parseIp; normalize.ts does the same from either field.
  const ipv4 = v.ipv4;
  if (typeof ipv4 === 'string') out.ipv4 = ipv4;
  const ipv6 = v.ipv6;
  if (typeof ipv6 === 'string') out.ipv6 = ipv6;
  const port = v.port;
  if (port !== undefined && port !== null) {
    const p = longOf(port);
    if (Number.isNaN(p)) {
      fail('invalid_field', `${path}.port is not an integer`);
      return null;
    }
    out.port = p;
  }
  return out;
}

function readAnnotation(v: Json, path: string, out: V1Annotation[]): boolean {
  if (!isObject(v)) {
    fail('invalid_field', `${path} is not an object`);
    return false;
  }
  const ts = v.timestamp;
  const value = v.value;
  if (ts === undefined || ts === null || value === undefined || value === null) {
    fail('missing_field', `Incomplete annotation at ${path}`);
    return false;
  }
  const timestamp = longOf(ts);
  if (Number.isNaN(timestamp)) {
    fail('invalid_field', `${path}.timestamp is not an integer below 2^53`);
    return false;
  }
  const text = stringOf(value);
  if (text === undefined) {
    fail('invalid_field', `${path}.value is not a string`);
    return false;
  }
  const endpoint = readEndpoint(v.endpoint, `${path}.endpoint`);
  if (endpoint === null) return false;
  out.push(endpoint === undefined ? { timestamp, value: text } : { timestamp, value: text, endpoint });
  return true;
}

function readBinaryAnnotation(v: Json, path: string, out: V1BinaryAnnotation[], keepTyped: boolean): boolean {
  if (!isObject(v)) {
    fail('invalid_field', `${path} is not an object`);
    return false;
  }
  const key = v.key === null ? undefined : stringOf(v.key);
  if (key === undefined) {
    fail('missing_field', `No key at ${path}`);
    return false;
  }
  const endpoint = readEndpoint(v.endpoint, `${path}.endpoint`);
  if (endpoint === null) return false;
  const value = v.value;
  let result: string | boolean;
  if (typeof value === 'string') {
    result = value;
  } else if (typeof value === 'boolean') {
    if (key === 'ca' || key === 'sa' || key === 'ma') {
      // An address: true, with an endpoint. Anything else is no address and is dropped.
      if (!value || endpoint === undefined) return true;
      result = true;
    } else {
      if (!keepTyped) return true;
      result = value ? 'true' : 'false';
    }
  } else if (typeof value === 'number') {
    if (!keepTyped || key === 'ca' || key === 'sa' || key === 'ma') return true;
    // zipkin 1.x: I16/I32/I64 print as integers, DOUBLE as Java's Double.toString.
    const type = v.type;
    result =
      type === 'DOUBLE' || !Number.isInteger(value)
        ? formatJavaDouble(value)
        : value < 1e21 && value > -1e21
          ? String(value)
          : BigInt(value).toString();
  } else {
    return true; // null, object or array: nothing Zipkin can use
  }
  out.push(endpoint === undefined ? { key, value: result } : { key, value: result, endpoint });
  return true;
}

function readSpan(v: Json, keepTyped: boolean): V1Span | undefined {
  if (!isObject(v)) return fail('malformed', 'span is not a JSON object');
  const rawTraceId = v.traceId;
  if (rawTraceId === undefined || rawTraceId === null) return fail('missing_field', 'traceId is missing');
  if (typeof rawTraceId !== 'string') return fail('invalid_field', 'traceId is not a string');
  const rawId = v.id;
  if (rawId === undefined || rawId === null) return fail('missing_field', 'id is missing');
  if (typeof rawId !== 'string') return fail('invalid_field', 'id is not a string');
  if (rawTraceId.length === 0 || rawTraceId.length > 32)
    return fail('invalid_id', `traceId ${JSON.stringify(rawTraceId.slice(0, 40))} is not 1-32 hex digits`);
  if (rawId.length === 0 || rawId.length > 32) return fail('invalid_id', `id ${JSON.stringify(rawId.slice(0, 40))} is not 1-16 hex digits`);

  const traceId = low64(rawTraceId);
  if (isAllZeros(traceId)) return fail('invalid_id', 'traceId: the low 64 bits are zero');
  const span: V1Span = { traceId, id: low64(rawId), annotations: [], binaryAnnotations: [] };
  if (rawTraceId.length === 32) {
    const high = rawTraceId.slice(0, 16);
    if (high !== ZEROS16) span.traceIdHigh = high;
  }

  const name = v.name;
  if (name !== undefined && name !== null) {
    const s = stringOf(name);
    if (s === undefined) return fail('invalid_field', 'name is not a string');
    span.name = s;
  }
  const parentId = v.parentId;
  if (parentId !== undefined && parentId !== null) {
    if (typeof parentId !== 'string') return fail('invalid_field', 'parentId is not a string');
    if (parentId.length === 0 || parentId.length > 32)
      return fail('invalid_id', `parentId ${JSON.stringify(parentId.slice(0, 40))} is not 1-16 hex digits`);
    span.parentId = low64(parentId);
  }
  const timestamp = v.timestamp;
  if (timestamp !== undefined && timestamp !== null) {
    const n = longOf(timestamp);
    if (Number.isNaN(n)) return fail('invalid_field', 'timestamp is not an integer below 2^53');
    span.timestamp = n;
  }
  const duration = v.duration;
  if (duration !== undefined && duration !== null) {
    const n = longOf(duration);
    if (Number.isNaN(n)) return fail('invalid_field', 'duration is not an integer below 2^53');
    span.duration = n;
  }
  const debug = v.debug;
  if (debug !== undefined && debug !== null) {
    if (typeof debug !== 'boolean') return fail('invalid_field', 'debug is not a boolean');
    if (debug) span.debug = true;
  }
  const annotations = v.annotations;
  if (annotations !== undefined && annotations !== null) {
    if (!Array.isArray(annotations)) return fail('invalid_field', 'annotations is not an array');
    for (let i = 0; i < annotations.length; i++) {
      if (!readAnnotation(annotations[i], `annotations[${i}]`, span.annotations)) return undefined;
    }
  }
  const binaryAnnotations = v.binaryAnnotations;
  if (binaryAnnotations !== undefined && binaryAnnotations !== null) {
    if (!Array.isArray(binaryAnnotations)) return fail('invalid_field', 'binaryAnnotations is not an array');
    for (let i = 0; i < binaryAnnotations.length; i++) {
      if (!readBinaryAnnotation(binaryAnnotations[i], `binaryAnnotations[${i}]`, span.binaryAnnotations, keepTyped)) return undefined;
    }
  }
  return span;
}

/**
 * Byte offsets of the top-level array elements, found by a scan that only tracks strings and
 * nesting. Run on the error path only: JSON.parse does not tell where an element starts.
 */
function elementOffsets(bytes: Uint8Array): number[] {
  const out: number[] = [];
  let depth = 0;
  let expectValue = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b === 0x22) {
      if (depth === 1 && expectValue) {
        out.push(i);
        expectValue = false;
      }
      for (i++; i < bytes.length; i++) {
        const c = bytes[i] as number;
        if (c === 0x5c) i++;
        else if (c === 0x22) break;
      }
      continue;
    }
    if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) continue;
    if (b === 0x5b || b === 0x7b) {
      if (depth === 1 && expectValue) {
        out.push(i);
        expectValue = false;
      }
      depth++;
      if (depth === 1) expectValue = true;
    } else if (b === 0x5d || b === 0x7d) {
      depth--;
    } else if (b === 0x2c) {
      if (depth === 1) expectValue = true;
    } else if (depth === 1 && expectValue) {
      out.push(i); // scalar element
      expectValue = false;
    }
  }
  return out;
}

function messageError(code: DecodeErrorCode, reason: string, offset = 0): DecodeResult {
  return { encoding: 'json-v1', spans: [], errors: [{ encoding: 'json-v1', index: -1, offset, code, reason }] };
}

/** Decodes a Zipkin v1 JSON span list. Never throws. */
export function decodeJsonV1(bytes: Uint8Array, options?: V1DecodeOptions): DecodeResult {
  try {
    return decode(bytes, options);
  } catch (err) {
    return messageError('malformed', `json-v1 decoder failure: ${(err as Error).message}`);
  }
}

function decode(bytes: Uint8Array, options: V1DecodeOptions | undefined): DecodeResult {
  const maxBytes = options?.maxBytes ?? DEFAULT_MAX_BYTES;
  const keepTyped = options?.typedBinaryAnnotations !== 'drop';
  if (bytes.length === 0) return messageError('empty', 'empty message');
  if (bytes.length > maxBytes) return messageError('too_large', `message of ${bytes.length} bytes exceeds the ${maxBytes} byte limit`);

  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    const offset = Math.max(firstInvalidUtf8(bytes), 0);
    return messageError('invalid_utf8', `invalid UTF-8 at byte ${offset}`, offset);
  }
  let root: Json;
  try {
    root = JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const at = /position (\d+)/.exec(message);
    const offset = at?.[1] ? Buffer.byteLength(text.slice(0, Number(at[1]))) : 0;
    return messageError('malformed', `not JSON: ${message}`, offset);
  }
  if (!Array.isArray(root)) return messageError('not_a_list', 'expected a JSON array of v1 spans');

  const spans: Span[] = [];
  // Bounded: a hostile list of millions of tiny bad spans must not become millions of errors.
  const errors = new SpanErrors('json-v1', options?.maxErrors ?? DEFAULT_MAX_ERRORS);
  let offsets: number[] | undefined;
  for (let i = 0; i < root.length; i++) {
    const v1 = readSpan(root[i], keepTyped);
    let code = failCode;
    let reason = failReason;
    let ok = v1 !== undefined;
    if (v1 !== undefined) {
      const raws = convertV1ToV2(v1);
      for (let j = 0; j < raws.length; j++) {
        const s = normalizeSpan(raws[j] as (typeof raws)[number]);
        if (isNormalizeFailure(s)) {
          // All spans of one v1 span share their IDs: if one fails they all do.
          code = s.code;
          reason = s.reason;
          ok = false;
          break;
        }
        spans.push(s);
      }
    }
    if (!ok) {
      // Offsets only on the error path: JSON.parse does not report where an element starts.
      if (offsets === undefined && !errors.full) offsets = elementOffsets(bytes);
      errors.add(i, offsets?.[i] ?? 0, code, reason);
    }
  }
  return { encoding: 'json-v1', spans, errors: errors.finish() };
}
