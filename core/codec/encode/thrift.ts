/**
 * Zipkin v1 Thrift list encoder, byte-compatible with Zipkin's `SpanBytesEncoder.THRIFT`
 * (V2SpanConverter + V1ThriftSpanWriter). The message is sized first and written into one
 * preallocated buffer; the local endpoint struct is written once per span and copied.
 *
 * Wire layout (TBinaryProtocol, big-endian; field = type:i8 id:i16 value; struct ends with 0x00):
 *   list  = 0x0C count:i32 Span{count}            (an empty list encodes as 0 bytes, as Zipkin)
 *   Span  = [1 i64 trace_id] [3 string name ("" if none)] [4 i64 id] ([5 i64 parent_id])?
 *           [6 list<Annotation>] [8 list<BinaryAnnotation>]   (both always, even empty, as Finagle)
 *           ([9 bool debug])? ([10 i64 timestamp])? ([11 i64 duration])? ([12 i64 trace_id_high])? STOP
 *   Annotation       = [1 i64 timestamp] [2 string value] ([3 Endpoint local])? STOP
 *   BinaryAnnotation = [1 string key] [2 binary value] [3 i32 type (6 STRING | 0 BOOL)]
 *                      ([4 Endpoint (local for tags, remote for the ca/sa/ma address)])? STOP
 *                      an address has value 0x01
 *   Endpoint         = [1 i32 ipv4 (0 if none)] [2 i16 port (0 if none)] [3 string service_name ("" if none)]
 *                      ([4 binary ipv6 (16 bytes)])? STOP
 *   list<T> = 0x0C count:i32 T{count};  string = len:i32 utf8 bytes
 */
import type { Endpoint, Span } from '../../model/span.js';
import type { V1Annotation, V1BinaryAnnotation, V1Span } from '../../model/v1.js';
import { utf8Length, writeUtf8 } from './bytes.js';
import { convertV2ToV1 } from './v2-to-v1.js';

const T_STOP = 0;
const T_BOOL = 2;
const T_I32 = 8;
const T_I16 = 6;
const T_I64 = 10;
const T_STRING = 11;
const T_STRUCT = 12;
const T_LIST = 15;

/** Thrift size of an Endpoint struct. */
function endpointSize(e: Endpoint): number {
  let size = 3 + 4 + (3 + 2) + (3 + 4 + (e.serviceName !== undefined ? utf8Length(e.serviceName) : 0)) + 1;
  if (e.ipv6 !== undefined) size += 3 + 4 + 16;
  return size;
}

function spanSize(v: V1Span, span: Span): number {
  const local = span.localEndpoint;
  const localSize = local !== undefined ? endpointSize(local) : 0;
  let size = 3 + 8; // trace_id
  if (v.traceIdHigh !== undefined) size += 3 + 8;
  if (v.parentId !== undefined) size += 3 + 8;
  size += 3 + 8; // id
  size += 3 + 4 + (span.name !== undefined ? utf8Length(span.name) : 0);
  size += 3 + 5; // annotations field + list header
  const annotations = v.annotations;
  for (let i = 0; i < annotations.length; i++) {
    size += 3 + 8 + (3 + 4 + utf8Length((annotations[i] as V1Annotation).value)) + 1;
    if (localSize > 0) size += 3 + localSize;
  }
  size += 3 + 5; // binary_annotations field + list header
  const binaryAnnotations = v.binaryAnnotations;
  for (let i = 0; i < binaryAnnotations.length; i++) {
    const b = binaryAnnotations[i] as V1BinaryAnnotation;
    size += 3 + 4 + utf8Length(b.key) + (3 + 4) + (3 + 4) + 1; // key, value header, type, STOP
    if (typeof b.value === 'string') {
      size += utf8Length(b.value);
      if (localSize > 0) size += 3 + localSize;
    } else {
      size += 1;
      if (b.endpoint !== undefined) size += 3 + endpointSize(b.endpoint);
    }
  }
  if (v.debug !== undefined) size += 3 + 1;
  if (v.timestamp !== undefined) size += 3 + 8;
  if (v.duration !== undefined) size += 3 + 8;
  return size + 1; // STOP
}

/** Output buffer with a cursor; methods instead of closures keep the hot loop monomorphic. */
class Writer {
  readonly view: DataView;
  pos = 0;
  // Where this span's local endpoint struct was first written (-1: not yet).
  private localStart = -1;
  private localEnd = -1;

  constructor(readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  field(type: number, id: number): void {
    const buf = this.buf;
    buf[this.pos] = type;
    buf[this.pos + 1] = id >>> 8;
    buf[this.pos + 2] = id & 0xff;
    this.pos += 3;
  }

  i32(v: number): void {
    this.view.setInt32(this.pos, v);
    this.pos += 4;
  }

  /** An integral µs value as i64 (exact up to 2^53; fractions truncated as a Java long). */
  i64(v: number): void {
    const t = Math.trunc(v);
    if (t >= 0 && t <= Number.MAX_SAFE_INTEGER) {
      const hi = Math.floor(t / 4294967296);
      this.view.setUint32(this.pos, hi);
      this.view.setUint32(this.pos + 4, t - hi * 4294967296);
    } else {
      this.view.setBigInt64(this.pos, BigInt(Number.isFinite(t) ? t : 0));
    }
    this.pos += 8;
  }

  /** 16 lower-hex chars from `hex` at `from` as 8 bytes. */
  hexI64(hex: string, from: number): void {
    const buf = this.buf;
    for (let i = 0; i < 8; i++) {
      buf[this.pos + i] = (hexValue(hex.charCodeAt(from + 2 * i)) << 4) | hexValue(hex.charCodeAt(from + 2 * i + 1));
    }
    this.pos += 8;
  }

  string(s: string): void {
    // Size is known (computed in the sizing pass) but not stored: write the bytes, then the prefix.
    const at = this.pos;
    const end = writeUtf8(this.buf, at + 4, s);
    this.view.setInt32(at, end - at - 4);
    this.pos = end;
  }

  listHeader(count: number): void {
    this.buf[this.pos++] = T_STRUCT;
    this.i32(count);
  }

  endpoint(e: Endpoint): void {
    this.field(T_I32, 1);
    this.i32(e.ipv4 !== undefined ? ipv4ToInt(e.ipv4) : 0);
    this.field(T_I16, 2);
    const port = e.port ?? 0;
    this.buf[this.pos] = (port >>> 8) & 0xff;
    this.buf[this.pos + 1] = port & 0xff;
    this.pos += 2;
    this.field(T_STRING, 3);
    this.string(e.serviceName ?? '');
    if (e.ipv6 !== undefined) {
      this.field(T_STRING, 4);
      this.i32(16);
      writeIpv6(this.buf, this.pos, e.ipv6);
      this.pos += 16;
    }
    this.buf[this.pos++] = T_STOP;
  }

  /** Writes the local endpoint once per span, then copies those bytes. */
  localEndpoint(e: Endpoint): void {
    if (this.localStart >= 0) {
      this.buf.copyWithin(this.pos, this.localStart, this.localEnd);
      this.pos += this.localEnd - this.localStart;
      return;
    }
    this.localStart = this.pos;
    this.endpoint(e);
    this.localEnd = this.pos;
  }

  span(v: V1Span, span: Span): void {
    this.localStart = -1;
    const local = span.localEndpoint;
    this.field(T_I64, 1);
    this.hexI64(v.traceId, 0);
    this.field(T_STRING, 3);
    this.string(span.name ?? '');
    this.field(T_I64, 4);
    this.hexI64(v.id, 0);
    if (v.parentId !== undefined) {
      this.field(T_I64, 5);
      this.hexI64(v.parentId, 0);
    }
    this.field(T_LIST, 6);
    const annotations = v.annotations;
    this.listHeader(annotations.length);
    for (let i = 0; i < annotations.length; i++) {
      const a = annotations[i] as V1Annotation;
      this.field(T_I64, 1);
      this.i64(a.timestamp);
      this.field(T_STRING, 2);
      this.string(a.value);
      if (local !== undefined) {
        this.field(T_STRUCT, 3);
        this.localEndpoint(local);
      }
      this.buf[this.pos++] = T_STOP;
    }
    this.field(T_LIST, 8);
    const binaryAnnotations = v.binaryAnnotations;
    this.listHeader(binaryAnnotations.length);
    for (let i = 0; i < binaryAnnotations.length; i++) {
      const b = binaryAnnotations[i] as V1BinaryAnnotation;
      this.field(T_STRING, 1);
      this.string(b.key);
      this.field(T_STRING, 2);
      if (typeof b.value === 'string') {
        this.string(b.value);
        this.field(T_I32, 3);
        this.i32(6);
        if (local !== undefined) {
          this.field(T_STRUCT, 4);
          this.localEndpoint(local);
        }
      } else {
        this.i32(1);
        this.buf[this.pos++] = 1;
        this.field(T_I32, 3);
        this.i32(0);
        if (b.endpoint !== undefined) {
          this.field(T_STRUCT, 4);
          this.endpoint(b.endpoint);
        }
      }
      this.buf[this.pos++] = T_STOP;
    }
    if (v.debug !== undefined) {
      this.field(T_BOOL, 9);
      this.buf[this.pos++] = v.debug ? 1 : 0;
    }
    if (v.timestamp !== undefined) {
      this.field(T_I64, 10);
      this.i64(v.timestamp);
    }
    if (v.duration !== undefined) {
      this.field(T_I64, 11);
      this.i64(v.duration);
    }
    if (v.traceIdHigh !== undefined) {
      this.field(T_I64, 12);
      this.hexI64(v.traceIdHigh, 0);
    }
    this.buf[this.pos++] = T_STOP;
  }
}

function hexValue(c: number): number {
  // Normalised IDs are lower-hex; upper-case is accepted for hand-built spans.
  if (c <= 0x39) return c - 0x30;
  return (c | 0x20) - 0x57;
}

function ipv4ToInt(ip: string): number {
  let v = 0;
  let octet = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 0x2e) {
      v = (v << 8) | octet;
      octet = 0;
    } else {
      octet = octet * 10 + (c - 0x30);
    }
  }
  return (v << 8) | octet;
}

/** Writes an IPv6 text address (as normalize.ts leaves it: compressed, lower-case) as 16 bytes. */
function writeIpv6(buf: Uint8Array, pos: number, ip: string): void {
  const dbl = ip.indexOf('::');
  const head = dbl < 0 ? ip : ip.slice(0, dbl);
  const tail = dbl < 0 ? '' : ip.slice(dbl + 2);
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === '' ? [] : tail.split(':');
  buf.fill(0, pos, pos + 16);
  let p = pos;
  for (const g of headGroups) {
    const v = Number.parseInt(g, 16) & 0xffff;
    buf[p++] = v >>> 8;
    buf[p++] = v & 0xff;
  }
  p = pos + 16 - tailGroups.length * 2;
  for (const g of tailGroups) {
    const v = Number.parseInt(g, 16) & 0xffff;
    buf[p++] = v >>> 8;
    buf[p++] = v & 0xff;
  }
}

/** Encodes spans as a Zipkin Thrift list (what `SpanBytesEncoder.THRIFT.encodeList` writes). */
export function encodeThrift(spans: readonly Span[]): Uint8Array {
  const n = spans.length;
  if (n === 0) return new Uint8Array(0);
  const v1s: V1Span[] = new Array(n);
  let size = 5; // list header
  for (let i = 0; i < n; i++) {
    const span = spans[i] as Span;
    const v1 = convertV2ToV1(span);
    v1s[i] = v1;
    size += spanSize(v1, span);
  }
  const w = new Writer(new Uint8Array(size));
  w.listHeader(n);
  for (let i = 0; i < n; i++) w.span(v1s[i] as V1Span, spans[i] as Span);
  if (w.pos !== size) throw new Error(`encodeThrift: wrote ${w.pos} bytes, sized ${size}`);
  return w.buf;
}
