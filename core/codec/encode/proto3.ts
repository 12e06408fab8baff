/**
 * Zipkin Proto3 list encoder, byte-compatible with `SpanBytesEncoder.PROTO3` (Proto3SpanWriter /
 * Proto3ZipkinFields in openzipkin/zipkin).
 *
 * Wire format (zipkin.proto): `ListOfSpans` is the concatenation of `0x0a varint(len) Span` per
 * span (an empty list is zero bytes). Inside a Span, fields in field-number order, each omitted
 * when absent/zero/false:
 *   0x0a trace_id (8|16 bytes)  0x12 parent_id (8)  0x1a id (8)  0x20 kind (1..4)  0x2a name
 *   0x31 timestamp fixed64 LE   0x38 duration varint
 *   0x42 local_endpoint / 0x4a remote_endpoint: {0x0a service_name, 0x12 ipv4 (4), 0x1a ipv6 (16), 0x20 port}
 *        (omitted when it has no field)
 *   0x52 annotation per annotation: {0x09 timestamp fixed64 (omitted when 0), 0x12 value (always, even "")}
 *   0x5a tag entry per tag, keys sorted (Java TreeMap order = UTF-16 code units):
 *        {0x0a key, 0x12 value (always, even "")}
 *   0x60 01 debug   0x68 01 shared
 * IDs are written from lower-hex, big-endian; strings as UTF-8 with '?' for an unpaired surrogate.
 *
 * Two passes, one allocation: the sizing pass records every nested length (span, endpoint,
 * annotation, tag entry, string) in a reused queue, and the writing pass consumes it in the same
 * order while filling one exactly-sized buffer (which owns its ArrayBuffer, so it can be
 * transferred to another thread).
 */
import { Buffer } from 'node:buffer';
import { parseIpv4 } from '../../model/ipv4.js';
import { type Annotation, type Endpoint, kindNumber, type Span } from '../../model/span.js';
import { ipv6Bytes, utf8Length, varintSize, writeFixed64, writeHex, writeUtf8, writeVarint } from './bytes.js';

// Values computed by the sizing pass, consumed in order by the writing pass. Module-level and
// reused: the encoder is synchronous, so calls cannot interleave.
let queue = new Float64Array(1024);
let queued = 0;
let taken = 0;
const tagKeys: string[][] = [];
let tagKeysQueued = 0;
let tagKeysTaken = 0;

function reserve(): number {
  if (queued === queue.length) {
    const bigger = new Float64Array(queue.length * 2);
    bigger.set(queue);
    queue = bigger;
  }
  return queued++;
}

function push(v: number): void {
  const i = reserve(); // before reading `queue`: reserve() may replace it with a bigger one
  queue[i] = v;
}

function take(): number {
  return queue[taken++] as number;
}

/** Tag keys in Java TreeMap order. Object.keys puts integer-like keys first, so check, sort if needed. */
function sortedKeys(tags: Record<string, string>): string[] {
  const keys = Object.keys(tags);
  for (let i = 1; i < keys.length; i++) {
    if ((keys[i - 1] as string) >= (keys[i] as string)) return keys.sort();
  }
  return keys;
}

/** Size of a length-delimited field with a 1-byte tag and a body of `n` bytes. */
function fieldSize(n: number): number {
  return 1 + varintSize(n) + n;
}

function sizeString(s: string): number {
  const n = utf8Length(s);
  push(n);
  return fieldSize(n);
}

function sizeEndpoint(e: Endpoint): number {
  const slot = reserve();
  let size = 0;
  if (e.serviceName) size += sizeString(e.serviceName);
  const v4 = e.ipv4 ? parseIpv4(e.ipv4) : -1;
  push(v4);
  if (v4 >= 0) size += 6;
  const v6 = e.ipv6 ? ipv6Bytes(e.ipv6) : undefined;
  if (v6 !== undefined) size += 18;
  if (e.port !== undefined && e.port > 0) size += 1 + varintSize(e.port);
  queue[slot] = size;
  return size === 0 ? 0 : fieldSize(size);
}

function sizeSpan(span: Span): number {
  const slot = reserve();
  let size = fieldSize(span.traceId.length >> 1);
  if (span.parentId !== undefined) size += fieldSize(span.parentId.length >> 1);
  size += fieldSize(span.id.length >> 1);
  if (span.kind !== undefined && kindNumber(span.kind) !== 0) size += 2;
  if (span.name) size += sizeString(span.name);
  if (span.timestamp) size += 9;
  if (span.duration !== undefined && span.duration > 0) size += 1 + varintSize(span.duration);
  if (span.localEndpoint !== undefined) size += sizeEndpoint(span.localEndpoint);
  if (span.remoteEndpoint !== undefined) size += sizeEndpoint(span.remoteEndpoint);
  const annotations = span.annotations;
  if (annotations !== undefined) {
    for (let i = 0; i < annotations.length; i++) {
      const a = annotations[i] as Annotation;
      const aSlot = reserve();
      const aSize = (a.timestamp !== 0 ? 9 : 0) + sizeString(a.value);
      queue[aSlot] = aSize;
      size += fieldSize(aSize);
    }
  }
  const tags = span.tags;
  if (tags !== undefined) {
    const keys = sortedKeys(tags);
    tagKeys[tagKeysQueued++] = keys;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as string;
      const eSlot = reserve();
      const eSize = sizeString(k) + sizeString(tags[k] as string);
      queue[eSlot] = eSize;
      size += fieldSize(eSize);
    }
  }
  if (span.debug === true) size += 2;
  if (span.shared === true) size += 2;
  queue[slot] = size;
  return size;
}

function writeString(buf: Buffer, pos: number, tag: number, s: string): number {
  const n = take();
  buf[pos++] = tag;
  pos = writeVarint(buf, pos, n);
  return writeUtf8(buf, pos, s, n);
}

function writeEndpoint(buf: Buffer, pos: number, tag: number, e: Endpoint): number {
  const size = take();
  if (size === 0) {
    take(); // the ipv4 slot, the only other value queued for an empty endpoint
    return pos;
  }
  buf[pos++] = tag;
  pos = writeVarint(buf, pos, size);
  if (e.serviceName) pos = writeString(buf, pos, 0x0a, e.serviceName);
  const v4 = take();
  if (v4 >= 0) {
    buf[pos++] = 0x12;
    buf[pos++] = 4;
    buf[pos++] = v4 >>> 24;
    buf[pos++] = (v4 >>> 16) & 0xff;
    buf[pos++] = (v4 >>> 8) & 0xff;
    buf[pos++] = v4 & 0xff;
  }
  const v6 = e.ipv6 ? ipv6Bytes(e.ipv6) : undefined;
  if (v6 !== undefined) {
    buf[pos++] = 0x1a;
    buf[pos++] = 16;
    buf.set(v6, pos);
    pos += 16;
  }
  if (e.port !== undefined && e.port > 0) {
    buf[pos++] = 0x20;
    pos = writeVarint(buf, pos, e.port);
  }
  return pos;
}

function writeId(buf: Buffer, pos: number, tag: number, hex: string): number {
  buf[pos++] = tag;
  buf[pos++] = hex.length >> 1;
  return writeHex(buf, pos, hex);
}

function writeSpan(buf: Buffer, pos: number, span: Span): number {
  const size = take();
  buf[pos++] = 0x0a;
  pos = writeVarint(buf, pos, size);
  pos = writeId(buf, pos, 0x0a, span.traceId);
  if (span.parentId !== undefined) pos = writeId(buf, pos, 0x12, span.parentId);
  pos = writeId(buf, pos, 0x1a, span.id);
  if (span.kind !== undefined) {
    const k = kindNumber(span.kind);
    if (k !== 0) {
      buf[pos++] = 0x20;
      buf[pos++] = k;
    }
  }
  if (span.name) pos = writeString(buf, pos, 0x2a, span.name);
  if (span.timestamp) {
    buf[pos++] = 0x31;
    pos = writeFixed64(buf, pos, span.timestamp);
  }
  if (span.duration !== undefined && span.duration > 0) {
    buf[pos++] = 0x38;
    pos = writeVarint(buf, pos, span.duration);
  }
  if (span.localEndpoint !== undefined) pos = writeEndpoint(buf, pos, 0x42, span.localEndpoint);
  if (span.remoteEndpoint !== undefined) pos = writeEndpoint(buf, pos, 0x4a, span.remoteEndpoint);
  const annotations = span.annotations;
  if (annotations !== undefined) {
    for (let i = 0; i < annotations.length; i++) {
      const a = annotations[i] as Annotation;
      buf[pos++] = 0x52;
      pos = writeVarint(buf, pos, take());
      if (a.timestamp !== 0) {
        buf[pos++] = 0x09;
        pos = writeFixed64(buf, pos, a.timestamp);
      }
      pos = writeString(buf, pos, 0x12, a.value);
    }
  }
  const tags = span.tags;
  if (tags !== undefined) {
    const keys = tagKeys[tagKeysTaken++] as string[];
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as string;
      buf[pos++] = 0x5a;
      pos = writeVarint(buf, pos, take());
      pos = writeString(buf, pos, 0x0a, k);
      pos = writeString(buf, pos, 0x12, tags[k] as string);
    }
  }
  if (span.debug === true) {
    buf[pos++] = 0x60;
    buf[pos++] = 1;
  }
  if (span.shared === true) {
    buf[pos++] = 0x68;
    buf[pos++] = 1;
  }
  return pos;
}

/** Encodes spans as a Proto3 `ListOfSpans`. Spans must be normalised (hex IDs): else TypeError. */
export function encodeProto3(spans: readonly Span[]): Uint8Array {
  queued = 0;
  taken = 0;
  tagKeysQueued = 0;
  tagKeysTaken = 0;
  let total = 0;
  for (let i = 0; i < spans.length; i++) total += fieldSize(sizeSpan(spans[i] as Span));
  // allocUnsafeSlow: never a slice of Buffer's shared pool, so `.buffer` is ours to transfer.
  const buf = Buffer.allocUnsafeSlow(total);
  let pos = 0;
  for (let i = 0; i < spans.length; i++) pos = writeSpan(buf, pos, spans[i] as Span);
  // Release the tag-key lists (they pin the caller's strings) and a queue grown by a huge batch,
  // then check that the two passes agreed.
  tagKeys.length = 0;
  if (queue.length > 1 << 20) queue = new Float64Array(1024);
  if (pos !== total || taken !== queued) throw new Error(`proto3 encoder internal error: wrote ${pos} of ${total} bytes`);
  return buf;
}
