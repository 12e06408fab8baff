/**
 * Zipkin Proto3 list decoder (zipkin.proto `ListOfSpans`), hand-written over the byte array.
 *
 * Wire format (protobuf): every field is `tag = varint(fieldNumber << 3 | wireType)` then a value;
 * varints are little-endian base-128 (MSB = continuation), at most 10 bytes. Wire types:
 * 0 varint, 1 fixed64 (8 bytes LE), 2 length-delimited (varint length + bytes), 5 fixed32 (4 bytes);
 * 3/4 (groups) cannot occur in this schema and are rejected.
 *   ListOfSpans  1 spans: Span, repeated                      tag 0x0a
 *   Span         1 trace_id bytes (8|16, big-endian)          0x0a
 *                2 parent_id bytes (8)                        0x12
 *                3 id bytes (8)                               0x1a
 *                4 kind varint (0 unset, 1 CLIENT, 2 SERVER, 3 PRODUCER, 4 CONSUMER)   0x20
 *                5 name string                                0x2a
 *                6 timestamp fixed64 (epoch µs)               0x31
 *                7 duration varint (µs)                       0x38
 *                8 local_endpoint Endpoint, 9 remote_endpoint 0x42, 0x4a
 *               10 annotations Annotation, repeated           0x52
 *               11 tags map<string,string>: entries {1 key, 2 value}   0x5a
 *               12 debug bool, 13 shared bool                 0x60, 0x68
 *   Endpoint     1 service_name string 0x0a, 2 ipv4 bytes(4) 0x12, 3 ipv6 bytes(16) 0x1a, 4 port int32 0x20
 *   Annotation   1 timestamp fixed64 0x09, 2 value string 0x12
 *
 * Like Zipkin's Proto3ZipkinFields, a field is matched on its whole tag, so a known field number
 * with an unexpected wire type is skipped as unknown; an out-of-range kind is ignored; strings
 * with invalid UTF-8 get U+FFFD (Java's `new String(bytes, UTF_8)`); an IPv4-mapped/compatible
 * IPv6 address is stored as IPv4. Short IDs are left-padded (as in JSON) by normalizeSpan.
 * Deliberately different: a tag entry or annotation with an empty (but present) string is kept,
 * so our own encoder's output round-trips; int64 values beyond 2^53 fail the span rather than
 * silently losing precision.
 *
 * Salvage: a broken Span submessage costs that span only (decoding resumes at the next entry, its
 * length prefix being intact); a broken outer structure (length past the end, bad tag) stops
 * decoding there with an error at that offset, keeping the spans before it. No exceptions are used
 * for control flow: failures set `Cursor.err`, checked after each read.
 */
import { isNormalizeFailure, normalizeSpan, type RawSpan } from '../../model/normalize.js';
import {
  type Annotation,
  type DecodeErrorCode,
  type DecodeResult,
  type Endpoint,
  KIND_BY_NUMBER,
  type Kind,
  type Span,
} from '../../model/span.js';
import { asBuffer, hex8, ipv4Text, ipv6Text, type SliceableBuffer, setTag, utf8Cached } from './bytes.js';
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_ERRORS, type DecodeOptions, messageError, SpanErrors } from './limits.js';

const ENCODING = 'proto3';
const TWO_32 = 4294967296;
const TWO_63 = 2 ** 63; // exact as a double

/** Read position plus the first failure; every read checks bounds against the enclosing end. */
export class Cursor {
  readonly b: Uint8Array;
  readonly buf: SliceableBuffer;
  pos = 0;
  err: DecodeErrorCode | null = null;
  errAt = 0;
  why = '';

  constructor(bytes: Uint8Array) {
    this.b = bytes;
    this.buf = asBuffer(bytes);
  }

  fail(code: DecodeErrorCode, at: number, why: string): number {
    if (this.err === null) {
      this.err = code;
      this.errAt = at;
      this.why = why;
    }
    return 0;
  }

  clear(): void {
    this.err = null;
  }

  /**
   * A varint as a JS number: exact up to 2^53, approximate above (callers that care compare
   * against 2^53 / 2^63). Accumulates by multiplication, not shifts, which would wrap at 32 bits.
   */
  varint(end: number): number {
    const b = this.b;
    const start = this.pos;
    let p = start;
    if (p >= end) return this.fail('truncated', p, 'varint runs past the end of its message');
    let c = b[p++] as number;
    if (c < 0x80) {
      this.pos = p;
      return c;
    }
    let v = c & 0x7f;
    let mul = 128;
    for (let i = 1; i < 10; i++) {
      if (p >= end) return this.fail('truncated', start, 'varint runs past the end of its message');
      c = b[p++] as number;
      v += (c & 0x7f) * mul;
      if (c < 0x80) {
        this.pos = p;
        return v;
      }
      mul *= 128;
    }
    return this.fail('malformed', start, 'varint longer than 10 bytes');
  }

  /** A length prefix, checked against the bytes left before `end`. */
  length(end: number): number {
    const at = this.pos;
    const len = this.varint(end);
    if (this.err !== null) return 0;
    if (len > end - this.pos) {
      return this.fail('truncated', at, `length ${len} exceeds the ${end - this.pos} bytes left in the enclosing message`);
    }
    return len;
  }

  /**
   * fixed64 read as a signed int64 (Java's long), exact: two 32-bit halves. Beyond ±2^53: NaN when
   * positive, -Infinity when negative (which normalizeSpan drops like any negative time).
   */
  fixed64(end: number): number {
    const p = this.pos;
    if (end - p < 8) return this.fail('truncated', p, 'fixed64 runs past the end of its message');
    const b = this.b;
    const lo = ((b[p] as number) | ((b[p + 1] as number) << 8) | ((b[p + 2] as number) << 16) | ((b[p + 3] as number) << 24)) >>> 0;
    const hi = ((b[p + 4] as number) | ((b[p + 5] as number) << 8) | ((b[p + 6] as number) << 16) | ((b[p + 7] as number) << 24)) >>> 0;
    this.pos = p + 8;
    if (hi >= 0x80000000) {
      // Two's complement: -(~v + 1). The magnitude must fit in 53 bits too.
      const mag = (~hi >>> 0) * TWO_32 + (~lo >>> 0) + 1;
      return mag <= Number.MAX_SAFE_INTEGER ? -mag : Number.NEGATIVE_INFINITY;
    }
    return hi <= 0x1fffff ? hi * TWO_32 + lo : Number.NaN;
  }

  string(end: number): string {
    const len = this.length(end);
    if (this.err !== null) return '';
    const p = this.pos;
    this.pos = p + len;
    return utf8Cached(this.buf, p, p + len);
  }

  /** Lower-hex of a bytes field of at most `maxBytes`; undefined when empty (proto3 default). */
  hexId(end: number, maxBytes: number, field: string): string | undefined {
    const at = this.pos;
    const len = this.length(end);
    if (this.err !== null || len === 0) return undefined;
    if (len > maxBytes) {
      this.fail('invalid_id', at, `${field} is ${len} bytes, at most ${maxBytes} allowed`);
      return undefined;
    }
    const p = this.pos;
    this.pos = p + len;
    if (len === 8) return hex8(this.b, p);
    if (len === 16) return hex8(this.b, p) + hex8(this.b, p + 8);
    let s = '';
    for (let i = p; i < p + len; i++) s += ((this.b[i] as number) | 0x100).toString(16).slice(1);
    return s;
  }

  /** Skips the value of an unknown field; groups and invalid wire types are errors. */
  skip(tag: number, tagAt: number, end: number): void {
    if (tag < 8) {
      this.fail('malformed', tagAt, 'field number 0');
      return;
    }
    switch (tag % 8) {
      case 0:
        this.varint(end);
        return;
      case 1:
        if (end - this.pos < 8) this.fail('truncated', this.pos, 'fixed64 runs past the end of its message');
        else this.pos += 8;
        return;
      case 2: {
        const len = this.length(end);
        this.pos += len;
        return;
      }
      case 5:
        if (end - this.pos < 4) this.fail('truncated', this.pos, 'fixed32 runs past the end of its message');
        else this.pos += 4;
        return;
      default:
        this.fail('malformed', tagAt, `wire type ${tag % 8} (field ${Math.floor(tag / 8)}) is not valid in a Zipkin span`);
    }
  }
}

export function decodeProto3(bytes: Uint8Array, options?: DecodeOptions): DecodeResult {
  const maxBytes = options?.maxBytes ?? DEFAULT_MAX_BYTES;
  const n = bytes.length;
  if (n > maxBytes) return failed('too_large', 0, `message of ${n} bytes exceeds the ${maxBytes}-byte limit`);
  if (n === 0) return failed('empty', 0, 'empty message');
  const errors = new SpanErrors(ENCODING, options?.maxErrors ?? DEFAULT_MAX_ERRORS);
  const spans: Span[] = [];
  const c = new Cursor(bytes);
  let index = 0;
  try {
    while (c.pos < n) {
      const tagAt = c.pos;
      const tag = c.varint(n);
      if (c.err !== null) {
        errors.add(index, c.errAt, c.err, `list, before span ${index}: ${c.why}`);
        break;
      }
      if (tag !== 0x0a) {
        // Not ListOfSpans.spans: skip it, as protobuf readers skip unknown fields.
        c.skip(tag, tagAt, n);
        if (c.err !== null) {
          errors.add(index, c.errAt, c.err, `list, before span ${index}: ${c.why}`);
          break;
        }
        continue;
      }
      const len = c.length(n);
      if (c.err !== null) {
        // The outer structure is broken: nothing after this point can be located.
        errors.add(index, c.errAt, c.err, `span ${index}: ${c.why}`);
        break;
      }
      const end = c.pos + len;
      const raw = decodeSpan(c, end);
      if (raw === null) {
        errors.add(index, c.errAt, c.err ?? 'malformed', `span ${index}: ${c.why}`);
        c.clear();
      } else {
        const span = normalizeSpan(raw);
        if (isNormalizeFailure(span)) errors.add(index, tagAt, span.code, `span ${index}: ${span.reason}`);
        else spans.push(span);
      }
      c.pos = end; // resynchronise on the span boundary whatever happened inside
      index++;
    }
  } catch (err) {
    // Defensive: the reads above are bounds-checked and do not throw.
    errors.add(index, c.pos, 'malformed', `decoder failure: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { encoding: ENCODING, spans, errors: errors.finish() };
}

function failed(code: DecodeErrorCode, offset: number, reason: string): DecodeResult {
  return { encoding: ENCODING, spans: [], errors: [messageError(ENCODING, code, offset, reason)] };
}

/** Decodes one Span submessage ending at `end`; null with `c.err` set when it is malformed. */
function decodeSpan(c: Cursor, end: number): RawSpan | null {
  let traceId: string | undefined;
  let parentId: string | undefined;
  let id: string | undefined;
  let kind: Kind | undefined;
  let name: string | undefined;
  let timestamp: number | undefined;
  let duration: number | undefined;
  let localEndpoint: Endpoint | undefined;
  let remoteEndpoint: Endpoint | undefined;
  let annotations: Annotation[] | undefined;
  let tags: Record<string, string> | undefined;
  let debug = false;
  let shared = false;
  while (c.pos < end) {
    const tagAt = c.pos;
    const tag = c.varint(end);
    if (c.err !== null) return null;
    switch (tag) {
      case 0x0a:
        traceId = c.hexId(end, 16, 'trace_id');
        break;
      case 0x12:
        parentId = c.hexId(end, 8, 'parent_id');
        break;
      case 0x1a:
        id = c.hexId(end, 8, 'id');
        break;
      case 0x20: {
        const k = c.varint(end);
        kind = k <= 4 ? KIND_BY_NUMBER[k] : undefined; // out of range: ignored, as Zipkin does
        break;
      }
      case 0x2a:
        name = c.string(end);
        break;
      case 0x31: {
        const at = c.pos;
        timestamp = c.fixed64(end);
        if (Number.isNaN(timestamp)) c.fail('invalid_field', at, 'timestamp is beyond 2^53 µs');
        break;
      }
      case 0x38: {
        const at = c.pos;
        const v = c.varint(end);
        if (v <= Number.MAX_SAFE_INTEGER) duration = v;
        else if (v >= TWO_63)
          duration = undefined; // a negative int64: no duration, as normalizeSpan does
        else c.fail('invalid_field', at, 'duration is beyond 2^53 µs');
        break;
      }
      case 0x42:
        localEndpoint = decodeEndpoint(c, end);
        break;
      case 0x4a:
        remoteEndpoint = decodeEndpoint(c, end);
        break;
      case 0x52: {
        const a = decodeAnnotation(c, end);
        if (a !== undefined) {
          if (annotations === undefined) annotations = [a];
          else annotations.push(a);
        }
        break;
      }
      case 0x5a:
        tags = decodeTag(c, end, tags);
        break;
      case 0x60:
        debug = c.varint(end) !== 0;
        break;
      case 0x68:
        shared = c.varint(end) !== 0;
        break;
      default:
        c.skip(tag, tagAt, end);
    }
    if (c.err !== null) return null;
  }
  return { traceId, parentId, id, kind, name, timestamp, duration, localEndpoint, remoteEndpoint, annotations, tags, debug, shared };
}

function decodeEndpoint(c: Cursor, spanEnd: number): Endpoint | undefined {
  const len = c.length(spanEnd);
  if (c.err !== null) return undefined;
  const end = c.pos + len;
  let serviceName: string | undefined;
  let ipv4: string | undefined;
  let ipv6: string | undefined;
  let port: number | undefined;
  while (c.pos < end) {
    const tagAt = c.pos;
    const tag = c.varint(end);
    if (c.err !== null) return undefined;
    switch (tag) {
      case 0x0a:
        serviceName = c.string(end);
        break;
      case 0x12:
      case 0x1a: {
        // Either field may hold 4 or 16 bytes (Zipkin's parseIp(byte[]) looks at the length only);
        // other lengths are ignored like an unparsable IP string.
        const ipLen = c.length(end);
        if (c.err !== null) return undefined;
        const p = c.pos;
        c.pos = p + ipLen;
        if (ipLen === 4) ipv4 = ipv4Text(c.b, p);
        else if (ipLen === 16) {
          const ip = ipv6Text(c.b, p);
          if ('ipv4' in ip) ipv4 = ip.ipv4;
          else ipv6 = ip.ipv6;
        }
        break;
      }
      case 0x20: {
        // int32: negative values arrive sign-extended to 10 bytes (≥ 2^32); only 1..65535 is a port.
        const v = c.varint(end);
        port = v < 0x80000000 ? v : undefined;
        break;
      }
      default:
        c.skip(tag, tagAt, end);
    }
    if (c.err !== null) return undefined;
  }
  return { serviceName, ipv4, ipv6, port };
}

function decodeAnnotation(c: Cursor, spanEnd: number): Annotation | undefined {
  const len = c.length(spanEnd);
  if (c.err !== null || len === 0) return undefined;
  const end = c.pos + len;
  let timestamp = 0;
  let value: string | undefined;
  while (c.pos < end) {
    const tagAt = c.pos;
    const tag = c.varint(end);
    if (c.err !== null) return undefined;
    if (tag === 0x09) {
      const at = c.pos;
      timestamp = c.fixed64(end);
      if (!Number.isFinite(timestamp)) c.fail('invalid_field', at, 'annotation timestamp is beyond 2^53 µs');
    } else if (tag === 0x12) {
      value = c.string(end);
    } else {
      c.skip(tag, tagAt, end);
    }
    if (c.err !== null) return undefined;
  }
  // Without a value there is nothing to show; Zipkin also drops timestamp 0 / empty values.
  return value === undefined ? undefined : { timestamp, value };
}

function decodeTag(c: Cursor, spanEnd: number, tags: Record<string, string> | undefined): Record<string, string> | undefined {
  const len = c.length(spanEnd);
  if (c.err !== null || len === 0) return tags;
  const end = c.pos + len;
  let key: string | undefined;
  let value = '';
  while (c.pos < end) {
    const tagAt = c.pos;
    const tag = c.varint(end);
    if (c.err !== null) return tags;
    if (tag === 0x0a) key = c.string(end);
    else if (tag === 0x12) value = c.string(end);
    else c.skip(tag, tagAt, end);
    if (c.err !== null) return tags;
  }
  if (key === undefined) return tags; // a map entry without a key: dropped, as Zipkin does
  const out = tags ?? {};
  setTag(out, key, value);
  return out;
}
