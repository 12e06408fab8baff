/**
 * Zipkin v1 Thrift decoder: TBinaryProtocol (strict-free, big-endian) structs of
 * zipkinCore.thrift, as Zipkin's ThriftCodec + V1ThriftSpanReader read them.
 *
 * Wire layout:
 *   list message   = elemType:i8 (12 = STRUCT, or 11: Zipkin's historic typo) count:i32 Span{count}
 *   single message = Span                    (legacy: one span per Kafka message)
 *   struct         = ( fieldType:i8 fieldId:i16 value )* 0x00 (STOP)
 *   bool/byte = 1 byte; i16 = 2; i32 = 4; i64/double = 8 (big-endian, two's complement)
 *   string/binary  = len:i32 bytes[len]
 *   list/set       = elemType:i8 count:i32 elem{count};  map = keyType:i8 valueType:i8 count:i32 (k v){count}
 *
 *   Span:             1 i64 trace_id, 3 string name, 4 i64 id, 5 i64 parent_id,
 *                     6 list<Annotation>, 8 list<BinaryAnnotation>, 9 bool debug,
 *                     10 i64 timestamp, 11 i64 duration, 12 i64 trace_id_high
 *   Annotation:       1 i64 timestamp, 2 string value, 3 Endpoint host
 *   BinaryAnnotation: 1 string key, 2 binary value, 3 i32 annotation_type
 *                     (0 BOOL, 1 BYTES, 2 I16, 3 I32, 4 I64, 5 DOUBLE, 6 STRING), 4 Endpoint host
 *   Endpoint:         1 i32 ipv4, 2 i16 port (unsigned), 3 string service_name, 4 binary ipv6 (16 bytes)
 *
 * A field is recognised by id *and* type (ThriftField.isEqualTo); anything else is skipped, of any
 * TType, to a nesting depth of MAX_DEPTH. As in Zipkin: an annotation with timestamp 0 or no value is
 * dropped, a binary annotation without key or value is dropped, BOOL counts as an address only for
 * ca/sa/ma with value 0x01 and an endpoint; strings decode leniently (invalid UTF-8 → U+FFFD, like
 * Java's `new String(bytes, UTF_8)`); trailing bytes after the last span are ignored. Values of
 * types other than STRING, which zipkin2 drops, are kept by default in zipkin 1.x's text form
 * (V1DecodeOptions.typedBinaryAnnotations); an ipv6 of 4 bytes is IPv4, of 16 bytes with 96 zero
 * bits (except ::1) the embedded IPv4 (Endpoint.parseIp, ::ffff:a.b.c.d staying IPv6 as in 3.6).
 *
 * Salvage (Zipkin drops the whole message on any error): a span whose structure is intact but whose
 * content is not (a timestamp beyond 2^53, a zero or missing ID, a bad typed value, a list of the
 * wrong element type) is reported with its index and the offset of the bad field, and decoding goes
 * on with the next span. Broken framing (truncation, negative length, unknown TType, too deep) is
 * reported at the byte offset where it was found and ends the message; spans before it are kept.
 * Every length and count is checked against the bytes left before anything is read or allocated.
 *
 * Conversion: a span of the common simple shape (one endpoint, at most one RPC side) goes straight
 * to its normalised v2 span (convertSimpleV1Span); any other through convertV1ToV2 + normalizeSpan.
 * Both give the same spans (thrift-fast-path.test.ts); decodeThriftListGeneral is the second alone.
 */
import { isNormalizeFailure, normalizeSpan } from '../../model/normalize.js';
import type { DecodeErrorCode, DecodeResult, Endpoint, Span } from '../../model/span.js';
import type { V1Annotation, V1BinaryAnnotation, V1Span } from '../../model/v1.js';
import { asBuffer, hex8, type SliceableBuffer, utf8Cached } from './bytes.js';
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_ERRORS, SpanErrors } from './limits.js';
import { base64UrlPadded, convertSimpleV1Span, convertV1ToV2, formatJavaDouble, type V1DecodeOptions } from './v1-to-v2.js';

const T_STOP = 0;
const T_BOOL = 2;
const T_BYTE = 3;
const T_DOUBLE = 4;
const T_I16 = 6;
const T_I32 = 8;
const T_I64 = 10;
const T_STRING = 11;
const T_STRUCT = 12;
const T_MAP = 13;
const T_SET = 14;
const T_LIST = 15;

/** Deepest nesting of containers skipped; a real span needs 4 (span, list, annotation, endpoint). */
export const MAX_DEPTH = 32;

/** Smallest encoding of a value of each TType (0 = not a valid TType), to reject bogus counts early. */
const MIN_SIZE = new Uint8Array(16);
MIN_SIZE[T_BOOL] = 1;
MIN_SIZE[T_BYTE] = 1;
MIN_SIZE[T_DOUBLE] = 8;
MIN_SIZE[T_I16] = 2;
MIN_SIZE[T_I32] = 4;
MIN_SIZE[T_I64] = 8;
MIN_SIZE[T_STRING] = 4;
MIN_SIZE[T_STRUCT] = 1;
MIN_SIZE[T_MAP] = 6;
MIN_SIZE[T_SET] = 5;
MIN_SIZE[T_LIST] = 5;

/** Broken framing: thrown inside the reader, caught per message. Not an Error: no stack capture. */
class Framing {
  constructor(
    readonly code: DecodeErrorCode,
    readonly reason: string,
    readonly offset: number,
  ) {}
}

function dottedQuad(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

function isAddressKey(key: string): boolean {
  return key.length === 2 && (key === 'ca' || key === 'sa' || key === 'ma');
}

const TYPE_NAMES = ['BOOL', 'BYTES', 'I16', 'I32', 'I64', 'DOUBLE', 'STRING'];

// The endpoint cache (ThriftReader.readEndpoint): slots (a power of two), the longest struct kept
// (ipv4 + port + a 40-byte service name).
const EP_SLOTS = 64;
const EP_MAX_LEN = 64;

const EMPTY = new Uint8Array(0);

/** One reader per thread, reset per message: fields instead of closures or per-call objects. */
class ThriftReader {
  buf: SliceableBuffer = asBuffer(new Uint8Array(0));
  view: DataView = new DataView(this.buf.buffer, this.buf.byteOffset, 0);
  pos = 0;
  end = 0;
  keepTyped = true;
  fastPath = true;
  // First content error of the current span (the span is then skipped, the message goes on).
  errCode: DecodeErrorCode | undefined = undefined;
  errReason = '';
  errOffset = 0;
  // Endpoint structs seen before (see readEndpoint), kept across messages: direct-mapped slots of
  // the struct bytes and the object decoded from them. A miss overwrites its slot, so hostile
  // input costs a bounded constant per endpoint.
  private readonly epBytes = new Uint8Array(EP_SLOTS * EP_MAX_LEN);
  private readonly epView = new DataView(this.epBytes.buffer);
  private readonly epLens = new Uint8Array(EP_SLOTS); // 0 = empty slot
  private epLast = 0;
  // The last trace ID read (see traceIdText); '' = none yet.
  private lastTraceHi = 0;
  private lastTraceLo = 0;
  private lastTraceId = '';
  private readonly epValues: (Endpoint | undefined)[] = new Array<Endpoint | undefined>(EP_SLOTS).fill(undefined);

  reset(bytes: Uint8Array, pos: number, keepTyped: boolean, fastPath: boolean): void {
    this.buf = asBuffer(bytes); // a view, no copy: for the native UTF-8 slicing
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = pos;
    this.end = bytes.length;
    this.keepTyped = keepTyped;
    this.fastPath = fastPath;
  }

  release(): void {
    // Don't pin the last message's bytes between calls.
    this.reset(EMPTY, 0, true, true);
  }

  spanError(code: DecodeErrorCode, reason: string, offset: number): void {
    if (this.errCode !== undefined) return;
    this.errCode = code;
    this.errReason = reason;
    this.errOffset = offset;
  }

  need(n: number): void {
    if (this.end - this.pos < n) {
      throw new Framing('truncated', `needs ${n} bytes at offset ${this.pos}, ${this.end - this.pos} left`, this.pos);
    }
  }

  readByte(): number {
    this.need(1);
    return this.buf[this.pos++] as number;
  }

  readI16(): number {
    this.need(2);
    const v = this.view.getInt16(this.pos);
    this.pos += 2;
    return v;
  }

  readI32(): number {
    this.need(4);
    const v = this.view.getInt32(this.pos);
    this.pos += 4;
    return v;
  }

  /** Length prefix of a string/binary, checked against the bytes left. */
  readLength(): number {
    const at = this.pos;
    const len = this.readI32();
    if (len < 0) throw new Framing('malformed', `negative length ${len} at offset ${at}`, at);
    this.need(len);
    return len;
  }

  /** A string field. Invalid UTF-8 becomes U+FFFD, like Java's `new String(bytes, UTF_8)`. */
  readString(): string {
    const len = this.readLength();
    const start = this.pos;
    this.pos = start + len;
    // Service names, keys and values repeat across spans: a small cache of decoded strings.
    return utf8Cached(this.buf, start, start + len);
  }

  /** An i64 time in µs; beyond ±2^53 a JS number is not exact, so the span is refused. */
  readTime(what: string): number {
    const at = this.pos;
    this.need(8);
    const hi = this.view.getInt32(at);
    const lo = this.view.getUint32(at + 4);
    this.pos = at + 8;
    if (hi > 0x1fffff || hi < -0x200000) {
      this.spanError('invalid_field', `${what} does not fit in 53 bits`, at);
      return 0;
    }
    return hi * 4294967296 + lo;
  }

  /** Skips one value of `type`, nested `depth` containers deep. */
  skip(type: number, depth: number): void {
    if (depth > MAX_DEPTH) throw new Framing('too_deep', `nesting deeper than ${MAX_DEPTH}`, this.pos);
    switch (type) {
      case T_BOOL:
      case T_BYTE:
        this.need(1);
        this.pos += 1;
        return;
      case T_I16:
        this.need(2);
        this.pos += 2;
        return;
      case T_I32:
        this.need(4);
        this.pos += 4;
        return;
      case T_DOUBLE:
      case T_I64:
        this.need(8);
        this.pos += 8;
        return;
      case T_STRING: {
        const len = this.readLength(); // (not `pos += readLength()`: pos would be read first)
        this.pos += len;
        return;
      }
      case T_STRUCT:
        for (;;) {
          const fieldType = this.readByte();
          if (fieldType === T_STOP) return;
          this.need(2);
          this.pos += 2;
          this.skip(fieldType, depth + 1);
        }
      case T_MAP: {
        const keyType = this.readByte();
        const valueType = this.readByte();
        const count = this.readCount(MIN_SIZE[keyType & 15] as number, MIN_SIZE[valueType & 15] as number, keyType, valueType);
        for (let i = 0; i < count; i++) {
          this.skip(keyType, depth + 1);
          this.skip(valueType, depth + 1);
        }
        return;
      }
      case T_SET:
      case T_LIST: {
        const elemType = this.readByte();
        const count = this.readCount(MIN_SIZE[elemType & 15] as number, 0, elemType, 0);
        for (let i = 0; i < count; i++) this.skip(elemType, depth + 1);
        return;
      }
      default:
        throw new Framing('malformed', `unknown TType ${type} at offset ${this.pos - 3}`, this.pos - 3);
    }
  }

  /** A container count, refused when negative or when the bytes left cannot hold that many. */
  private readCount(minA: number, minB: number, typeA: number, typeB: number): number {
    const at = this.pos;
    const count = this.readI32();
    if (count < 0) throw new Framing('malformed', `negative container size ${count} at offset ${at}`, at);
    if (count === 0) return 0;
    if (minA === 0 || typeA > 15 || (typeB !== 0 && (minB === 0 || typeB > 15))) {
      throw new Framing('malformed', `unknown container element TType ${minA === 0 ? typeA : typeB} at offset ${at - 1}`, at - 1);
    }
    if (count * (minA + minB) > this.end - this.pos) {
      throw new Framing('truncated', `container of ${count} elements at offset ${at} exceeds the ${this.end - this.pos} bytes left`, at);
    }
    return count;
  }

  readSpan(): V1Span | undefined {
    const start = this.pos;
    this.errCode = undefined;
    // Offsets of the i64 ID fields (-1: absent).
    let traceAt = -1;
    let highAt = -1;
    let idAt = -1;
    let parentAt = -1;
    let name: string | undefined;
    let timestamp = 0;
    let duration = 0;
    let debug = false;
    const annotations: V1Annotation[] = [];
    const binaryAnnotations: V1BinaryAnnotation[] = [];
    for (;;) {
      const type = this.readByte();
      if (type === T_STOP) break;
      const id = this.readI16();
      if (type === T_I64 && (id === 10 || id === 11)) {
        const t = this.readTime(id === 10 ? 'timestamp' : 'duration');
        if (id === 10) timestamp = t;
        else duration = t;
        continue;
      }
      if (type === T_I64 && (id === 1 || id === 4 || id === 5 || id === 12)) {
        // IDs keep all 64 bits: the offset now, hex text once the span is known to be good.
        this.need(8);
        const at = this.pos;
        this.pos += 8;
        if (id === 1) traceAt = at;
        else if (id === 4) idAt = at;
        else if (id === 5) parentAt = at;
        else highAt = at;
        continue;
      }
      if (type === T_STRING && id === 3) {
        name = this.readString();
        continue;
      }
      if (type === T_LIST && (id === 6 || id === 8)) {
        if (id === 6) this.readAnnotations(annotations);
        else this.readBinaryAnnotations(binaryAnnotations);
        continue;
      }
      if (type === T_BOOL && id === 9) {
        debug = this.readByte() === 1;
        continue;
      }
      this.skip(type, 1);
    }
    if (this.errCode !== undefined) return undefined;
    if (traceAt < 0) return this.refuse('missing_field', 'trace_id is missing', start);
    if (this.isZero64(traceAt)) return this.refuse('invalid_id', 'trace_id is zero', start);
    if (idAt < 0) return this.refuse('missing_field', 'id is missing', start);
    if (this.isZero64(idAt)) return this.refuse('invalid_id', 'id is zero', start);
    const buf = this.buf;
    const span: V1Span = {
      traceId: this.traceIdText(traceAt),
      traceIdHigh: highAt >= 0 && !this.isZero64(highAt) ? hex8(buf, highAt) : undefined,
      name,
      id: hex8(buf, idAt),
      parentId: parentAt >= 0 && !this.isZero64(parentAt) ? hex8(buf, parentAt) : undefined,
      timestamp: timestamp === 0 ? undefined : timestamp,
      duration: duration === 0 ? undefined : duration,
      annotations,
      binaryAnnotations,
      debug: debug ? true : undefined,
    };
    return span;
  }

  /** hex8 of the trace ID at `at`; the spans of a message mostly share one trace, so the last text is reused. */
  private traceIdText(at: number): string {
    const v = this.view;
    const hi = v.getInt32(at);
    const lo = v.getInt32(at + 4);
    if (hi !== this.lastTraceHi || lo !== this.lastTraceLo || this.lastTraceId === '') {
      this.lastTraceHi = hi;
      this.lastTraceLo = lo;
      this.lastTraceId = hex8(this.buf, at);
    }
    return this.lastTraceId;
  }

  private isZero64(at: number): boolean {
    const v = this.view;
    return v.getUint32(at) === 0 && v.getUint32(at + 4) === 0;
  }

  private refuse(code: DecodeErrorCode, reason: string, offset: number): undefined {
    this.spanError(code, reason, offset);
    return undefined;
  }

  /** List header of field 6 or 8: elements must be structs, else the list is skipped and the span refused. */
  private readListHeader(what: string): number {
    const at = this.pos;
    const elemType = this.readByte();
    if (elemType === T_STRUCT) return this.readCount(1, 0, T_STRUCT, 0);
    this.pos = at;
    this.spanError('invalid_field', `${what} is a list of TType ${elemType}, not of structs`, at);
    this.skip(T_LIST, 1);
    return 0;
  }

  private readAnnotations(out: V1Annotation[]): void {
    const count = this.readListHeader('annotations');
    for (let i = 0; i < count; i++) {
      let timestamp = 0;
      let value: string | undefined;
      let endpoint: Endpoint | undefined;
      for (;;) {
        const type = this.readByte();
        if (type === T_STOP) break;
        const id = this.readI16();
        if (id === 1 && type === T_I64) timestamp = this.readTime('annotation timestamp');
        else if (id === 2 && type === T_STRING) value = this.readString();
        else if (id === 3 && type === T_STRUCT) endpoint = this.readEndpoint();
        else this.skip(type, 3);
      }
      if (timestamp === 0 || value === undefined) continue; // Zipkin drops these
      out.push({ timestamp, value, endpoint });
    }
  }

  private readBinaryAnnotations(out: V1BinaryAnnotation[]): void {
    const count = this.readListHeader('binary_annotations');
    for (let i = 0; i < count; i++) {
      let key: string | undefined;
      let valueStart = -1;
      let valueLen = 0;
      let valueType = -1;
      let endpoint: Endpoint | undefined;
      for (;;) {
        const type = this.readByte();
        if (type === T_STOP) break;
        const id = this.readI16();
        if (id === 1 && type === T_STRING) {
          key = this.readString();
        } else if (id === 2 && type === T_STRING) {
          valueLen = this.readLength();
          valueStart = this.pos;
          this.pos += valueLen;
        } else if (id === 3 && type === T_I32) {
          valueType = this.readI32();
        } else if (id === 4 && type === T_STRUCT) {
          endpoint = this.readEndpoint();
        } else {
          this.skip(type, 3);
        }
      }
      if (key === undefined || valueStart < 0) continue; // Zipkin drops these
      const value = this.binaryAnnotationValue(key, valueType, valueStart, valueLen, endpoint !== undefined);
      if (value !== undefined) out.push({ key, value, endpoint });
    }
  }

  /** The value a binary annotation keeps (undefined: dropped), per its AnnotationType. */
  private binaryAnnotationValue(key: string, type: number, start: number, len: number, hasEndpoint: boolean): string | boolean | undefined {
    if (type === 6) return utf8Cached(this.buf, start, start + len); // STRING
    if (type === 0) {
      // BOOL: an address is exactly 0x01 with an endpoint; other addresses are dropped.
      const isTrue = len === 1 && this.buf[start] === 1;
      if (isAddressKey(key)) return isTrue && hasEndpoint ? true : undefined;
      if (!this.keepTyped || len === 0) return undefined;
      return this.buf[start] === 1 ? 'true' : 'false';
    }
    if (type < 1 || type > 5 || !this.keepTyped || isAddressKey(key)) return undefined; // unknown or dropped
    if (type === 1) return base64UrlPadded(this.buf.subarray(start, start + len)); // BYTES
    const size = type === 2 ? 2 : type === 3 ? 4 : 8;
    if (len < size) {
      this.spanError(
        'invalid_field',
        `binary annotation ${JSON.stringify(key.slice(0, 64))} of type ${TYPE_NAMES[type]} has ${len} value bytes`,
        start,
      );
      return undefined;
    }
    if (type === 2) return String(this.view.getInt16(start));
    if (type === 3) return String(this.view.getInt32(start));
    if (type === 4) return this.view.getBigInt64(start).toString();
    return formatJavaDouble(this.view.getFloat64(start));
  }

  /**
   * v1 repeats the host on every annotation and binary annotation, and a few hosts make most
   * spans: bytes equal to a struct decoded before are that struct (a struct ends where its STOP
   * is, wherever it stands), so they give back the same object without decoding. Being the same
   * object also lets the converters' endpoint caches hit on identity. These objects never reach
   * the decoded spans (the converters make normalised copies), so sharing them is safe.
   */
  private readEndpoint(): Endpoint {
    const start = this.pos;
    const left = this.end - start;
    // Most often the same host as the annotation before.
    let slot = this.epLast;
    let len = this.epLens[slot] as number;
    if (len === 0 || left < len || !this.sameAsSlot(slot, start, len)) {
      slot = this.endpointSlot(start, left);
      len = this.epLens[slot] as number;
      if (len === 0 || left < len || !this.sameAsSlot(slot, start, len)) return this.decodeAndKeep(start, slot);
    }
    this.pos = start + len;
    this.epLast = slot;
    return this.epValues[slot] as Endpoint;
  }

  private decodeAndKeep(start: number, slot: number): Endpoint {
    const endpoint = this.decodeEndpoint();
    const n = this.pos - start;
    if (n <= EP_MAX_LEN) {
      const base = slot * EP_MAX_LEN;
      for (let i = 0; i < n; i++) this.epBytes[base + i] = this.buf[start + i] as number;
      this.epLens[slot] = n;
      this.epValues[slot] = endpoint;
      this.epLast = slot;
    }
    return endpoint;
  }

  /** Slot of the endpoint struct at `start`: a hash of its first 12 bytes (ipv4 and port fields, mostly). */
  private endpointSlot(start: number, left: number): number {
    if (left < 12) return 0;
    const v = this.view;
    let h = Math.imul(v.getInt32(start) ^ 0x9e3779b1, 0x01000193);
    h = Math.imul(h ^ v.getInt32(start + 4), 0x01000193);
    h = Math.imul(h ^ v.getInt32(start + 8), 0x01000193);
    return (h ^ (h >>> 15)) & (EP_SLOTS - 1);
  }

  /** Four bytes per step: this runs for every annotation and binary annotation. */
  private sameAsSlot(slot: number, start: number, len: number): boolean {
    const v = this.view;
    const cached = this.epView;
    const base = slot * EP_MAX_LEN;
    let i = 0;
    for (; i + 4 <= len; i += 4) if (cached.getInt32(base + i) !== v.getInt32(start + i)) return false;
    const buf = this.buf;
    const bytes = this.epBytes;
    for (; i < len; i++) if (bytes[base + i] !== buf[start + i]) return false;
    return true;
  }

  private decodeEndpoint(): Endpoint {
    let serviceName: string | undefined;
    let ipv4: string | undefined;
    let ipv6: string | undefined;
    let port = 0;
    for (;;) {
      const type = this.readByte();
      if (type === T_STOP) break;
      const id = this.readI16();
      if (id === 1 && type === T_I32) {
        const v = this.readI32();
        if (v !== 0) ipv4 = dottedQuad(v);
      } else if (id === 2 && type === T_I16) {
        port = this.readI16() & 0xffff; // unsigned on the wire
      } else if (id === 3 && type === T_STRING) {
        serviceName = this.readString();
      } else if (id === 4 && type === T_STRING) {
        const n = this.readLength();
        const at = this.pos;
        this.pos += n;
        // Endpoint.Builder.parseIp(byte[]): 4 bytes are IPv4, 16 are IPv6 unless IPv4-compatible.
        if (n === 4) {
          ipv4 = dottedQuad(this.view.getInt32(at));
        } else if (n === 16) {
          const embedded = this.embeddedIpv4(at);
          if (embedded !== undefined) ipv4 = embedded;
          else ipv6 = this.ipv6Text(at);
        }
      } else {
        this.skip(type, 5);
      }
    }
    return { serviceName, ipv4, ipv6, port: port === 0 ? undefined : port };
  }

  /** Zipkin's parseEmbeddedIPv4: ::a.b.c.d (80 zero bits, 16 zero bits) except ::1. */
  private embeddedIpv4(at: number): string | undefined {
    const buf = this.buf;
    for (let i = 0; i < 12; i++) if (buf[at + i] !== 0) return undefined;
    if (buf[at + 12] === 0 && buf[at + 13] === 0 && buf[at + 14] === 0 && buf[at + 15] === 1) return undefined;
    return dottedQuad(this.view.getInt32(at + 12));
  }

  /** Uncompressed text (normalize.ts compresses it the way Zipkin's reader expects). */
  private ipv6Text(at: number): string {
    const v = this.view;
    let s = v.getUint16(at).toString(16);
    for (let i = 2; i < 16; i += 2) s += `:${v.getUint16(at + i).toString(16)}`;
    return s;
  }
}

const reader = new ThriftReader();

function messageError(code: DecodeErrorCode, reason: string, offset = 0): DecodeResult {
  return { encoding: 'thrift', spans: [], errors: [{ encoding: 'thrift', index: -1, offset, code, reason }] };
}

/** Converts and normalises one v1 span into `spans`; returns a failure to report, if any. */
function emit(v1: V1Span, spans: Span[]): { code: DecodeErrorCode; reason: string } | undefined {
  // The reader's IDs meet the fast path's precondition (hex8, zero IDs refused or absent).
  const simple = reader.fastPath ? convertSimpleV1Span(v1) : undefined;
  if (simple !== undefined) {
    spans.push(simple);
    return undefined;
  }
  const raws = convertV1ToV2(v1);
  for (let j = 0; j < raws.length; j++) {
    const s = normalizeSpan(raws[j] as (typeof raws)[number]);
    if (isNormalizeFailure(s)) return s; // shared IDs: the first failure is every split's failure
    spans.push(s);
  }
  return undefined;
}

/** Reads `count` spans from the reader's position (one for the legacy single-span message). */
function readSpans(count: number, spans: Span[], errors: SpanErrors): void {
  for (let i = 0; i < count; i++) {
    const start = reader.pos;
    if (start >= reader.end) {
      errors.add(i, start, 'truncated', `list declares ${count} spans but the message ends after ${i}`);
      return;
    }
    let v1: V1Span | undefined;
    try {
      v1 = reader.readSpan();
    } catch (err) {
      const f = err instanceof Framing ? err : new Framing('malformed', `thrift reader failure: ${(err as Error).message}`, reader.pos);
      errors.add(i, f.offset, f.code, f.reason);
      return;
    }
    if (v1 === undefined) {
      errors.add(i, reader.errOffset, reader.errCode ?? 'malformed', reader.errReason);
      continue;
    }
    const failure = emit(v1, spans);
    if (failure !== undefined) errors.add(i, start, failure.code, failure.reason);
  }
}

/** Decodes a Thrift span list (`12|11, count:i32, Span*`). Never throws. */
export function decodeThriftList(bytes: Uint8Array, options?: V1DecodeOptions): DecodeResult {
  return decodeList(bytes, options, true);
}

/**
 * decodeThriftList with every span through the general conversion (convertV1ToV2 + normalizeSpan),
 * none through convertSimpleV1Span: the reference the fast path is tested against.
 */
export function decodeThriftListGeneral(bytes: Uint8Array, options?: V1DecodeOptions): DecodeResult {
  return decodeList(bytes, options, false);
}

function decodeList(bytes: Uint8Array, options: V1DecodeOptions | undefined, fastPath: boolean): DecodeResult {
  try {
    const maxBytes = options?.maxBytes ?? DEFAULT_MAX_BYTES;
    if (bytes.length === 0) return messageError('empty', 'empty message');
    if (bytes.length > maxBytes) return messageError('too_large', `message of ${bytes.length} bytes exceeds the ${maxBytes} byte limit`);
    const first = bytes[0] as number;
    if (first !== T_STRUCT && first !== T_STRING)
      return messageError('not_a_list', `thrift list must start with TType 12 (or 11), not ${first}`);
    if (bytes.length < 5) return messageError('truncated', 'thrift list header needs 5 bytes', bytes.length);
    const count = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getInt32(1);
    if (count < 0) return messageError('malformed', `negative list size ${count}`, 1);
    const spans: Span[] = [];
    // Bounded: a hostile list of millions of tiny bad spans must not become millions of errors.
    const errors = new SpanErrors('thrift', options?.maxErrors ?? DEFAULT_MAX_ERRORS);
    reader.reset(bytes, 5, options?.typedBinaryAnnotations !== 'drop', fastPath);
    try {
      readSpans(count, spans, errors);
    } finally {
      reader.release();
    }
    return { encoding: 'thrift', spans, errors: errors.finish() };
  } catch (err) {
    return messageError('malformed', `thrift decoder failure: ${(err as Error).message}`);
  }
}

/**
 * Decodes the legacy single-span message (one Span struct). Never throws. Unlike Zipkin's
 * `decodeOne`, which keeps only the first v2 span, every span of the conversion is returned (the
 * server half of a loopback span would otherwise be lost).
 */
export function decodeThriftSpan(bytes: Uint8Array, options?: V1DecodeOptions): DecodeResult {
  try {
    const maxBytes = options?.maxBytes ?? DEFAULT_MAX_BYTES;
    if (bytes.length === 0) return messageError('empty', 'empty message');
    if (bytes.length > maxBytes) return messageError('too_large', `message of ${bytes.length} bytes exceeds the ${maxBytes} byte limit`);
    const spans: Span[] = [];
    const errors = new SpanErrors('thrift', 1);
    reader.reset(bytes, 0, options?.typedBinaryAnnotations !== 'drop', true);
    try {
      readSpans(1, spans, errors);
    } finally {
      reader.release();
    }
    return { encoding: 'thrift', spans, errors: errors.finish() };
  } catch (err) {
    return messageError('malformed', `thrift decoder failure: ${(err as Error).message}`);
  }
}
