/**
 * Byte-level helpers shared by the JSON v2 and Proto3 decoders: zero-copy Buffer views, UTF-8
 * slices, lower-hex IDs and IP addresses from raw bytes.
 */
import { Buffer } from 'node:buffer';

/**
 * `Buffer#utf8Slice` is the native method behind `buf.toString('utf8', s, e)` minus the argument
 * normalisation; it is not in @types/node but has been on Buffer.prototype since Node 0.x.
 */
export type SliceableBuffer = Buffer & { utf8Slice(start: number, end: number): string };

/** A Buffer view of the same memory (no copy), so native string slicing can be used on it. */
export function asBuffer(bytes: Uint8Array): SliceableBuffer {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return buf as SliceableBuffer;
}

/**
 * Decodes bytes [start, end) as UTF-8; invalid sequences become U+FFFD, as with Java's
 * `new String(bytes, UTF_8)` in Zipkin's Proto3 reader. Very short ASCII strings are built in JS because a call
 * into C++ costs more than the copy (~70 ns vs ~30 ns for 4 bytes, measured on Node 20).
 */
export function utf8Slice(buf: SliceableBuffer, start: number, end: number): string {
  if (end - start <= 8) {
    let s = '';
    for (let i = start; i < end; i++) {
      const c = buf[i] as number;
      if (c >= 0x80) return buf.utf8Slice(start, end);
      s += String.fromCharCode(c);
    }
    return s;
  }
  return buf.utf8Slice(start, end);
}

// A direct-mapped cache of short decoded strings, keyed by their bytes. Tag keys, service and
// span names and many tag values repeat across the spans of a stream: a hit costs a hash and a
// compare in JS instead of a native call, and hands back the same string object, which V8 has
// already internalised if it served as a property key (tag keys). Misses just overwrite the slot,
// so hostile input costs a bounded constant per string. Module-level: workers are single-threaded.
const CACHE_SLOTS = 4096; // power of two
const CACHE_MAX_LEN = 32;
const cacheBytes = new Uint8Array(CACHE_SLOTS * CACHE_MAX_LEN);
const cacheLen = new Uint8Array(CACHE_SLOTS); // 0 = empty slot (the empty string is never cached)
const cacheStr: string[] = new Array<string>(CACHE_SLOTS).fill('');

/** Like utf8Slice, through the cache for strings of 1..32 bytes. */
export function utf8Cached(buf: SliceableBuffer, start: number, end: number): string {
  const len = end - start;
  if (len === 0) return '';
  if (len > CACHE_MAX_LEN) return buf.utf8Slice(start, end);
  // Hash of the length and up to 6 sampled bytes (ends and middle): O(1); the full compare below
  // keeps it exact. Real keys that share a prefix ("cassandra.*", "http.*") differ at the end.
  let h = Math.imul(len, 0x9e3779b1) ^ (buf[start] as number);
  h = Math.imul(h ^ (buf[end - 1] as number), 0x01000193);
  h = Math.imul(h ^ (buf[start + (len >> 1)] as number), 0x01000193);
  if (len > 3) {
    h = Math.imul(h ^ (buf[start + 1] as number), 0x01000193);
    h = Math.imul(h ^ (buf[end - 2] as number), 0x01000193);
    h = Math.imul(h ^ (buf[start + (len >> 2)] as number), 0x01000193);
  }
  const slot = (h ^ (h >>> 15)) & (CACHE_SLOTS - 1);
  const base = slot * CACHE_MAX_LEN;
  if (cacheLen[slot] === len) {
    let j = 0;
    while (j < len && cacheBytes[base + j] === buf[start + j]) j++;
    if (j === len) return cacheStr[slot] as string;
  }
  const s = utf8Slice(buf, start, end);
  for (let j = 0; j < len; j++) cacheBytes[base + j] = buf[start + j] as number;
  cacheLen[slot] = len;
  cacheStr[slot] = s;
  return s;
}

// Char codes of '0'..'9','a'..'f' for the high and low nibble of every byte value.
const HI = new Uint8Array(256);
const LO = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  const h = i >> 4;
  const l = i & 15;
  HI[i] = h < 10 ? 48 + h : 87 + h;
  LO[i] = l < 10 ? 48 + l : 87 + l;
}

/** Lower-hex of 8 bytes at `p`. One fromCharCode call yields a flat string (no cons-string chain). */
export function hex8(b: Uint8Array, p: number): string {
  const b0 = b[p] as number;
  const b1 = b[p + 1] as number;
  const b2 = b[p + 2] as number;
  const b3 = b[p + 3] as number;
  const b4 = b[p + 4] as number;
  const b5 = b[p + 5] as number;
  const b6 = b[p + 6] as number;
  const b7 = b[p + 7] as number;
  return String.fromCharCode(
    HI[b0] as number,
    LO[b0] as number,
    HI[b1] as number,
    LO[b1] as number,
    HI[b2] as number,
    LO[b2] as number,
    HI[b3] as number,
    LO[b3] as number,
    HI[b4] as number,
    LO[b4] as number,
    HI[b5] as number,
    LO[b5] as number,
    HI[b6] as number,
    LO[b6] as number,
    HI[b7] as number,
    LO[b7] as number,
  );
}

/** Dotted-quad text of the 4 bytes at `p`. */
export function ipv4Text(b: Uint8Array, p: number): string {
  return `${b[p]}.${b[p + 1]}.${b[p + 2]}.${b[p + 3]}`;
}

/**
 * Text of the 16-byte IPv6 address at `p`, as Zipkin's `Endpoint.parseIp(byte[])` reads it: only
 * IPv4-compatible addresses (80 zero bits, a zero flag, and not ::1) move to the ipv4 field — so
 * `::` reads as 0.0.0.0 and ::ffff:a.b.c.d stays IPv6. Otherwise the eight groups are written
 * uncompressed; normalizeEndpoint compresses them like text input.
 */
export function ipv6Text(b: Uint8Array, p: number): { ipv4: string } | { ipv6: string } {
  let zeros = 0;
  while (zeros < 12 && b[p + zeros] === 0) zeros++;
  if (zeros === 12 && !(b[p + 12] === 0 && b[p + 13] === 0 && b[p + 14] === 0 && b[p + 15] === 1)) {
    return { ipv4: ipv4Text(b, p + 12) };
  }
  let s = '';
  for (let i = 0; i < 16; i += 2) {
    if (i > 0) s += ':';
    s += (((b[p + i] as number) << 8) | (b[p + i + 1] as number)).toString(16);
  }
  return { ipv6: s };
}

/**
 * Byte offset of the first invalid UTF-8 sequence (per the WHATWG decoder: no overlongs, no
 * surrogates, nothing above U+10FFFF), or -1. Only used on the error path, to report where.
 */
export function firstInvalidUtf8(b: Uint8Array): number {
  const n = b.length;
  let i = 0;
  while (i < n) {
    const c = b[i] as number;
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c === 0xe0) lo = 0xa0;
      else if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c === 0xf0) lo = 0x90;
      else if (c === 0xf4) hi = 0x8f;
    } else return i;
    if (i + need >= n) return i; // sequence cut short by the end of the input
    const c1 = b[i + 1] as number;
    if (c1 < lo || c1 > hi) return i;
    for (let k = 2; k <= need; k++) {
      const ck = b[i + k] as number;
      if (ck < 0x80 || ck > 0xbf) return i;
    }
    i += need + 1;
  }
  return -1;
}

/**
 * Sets an own enumerable tag even for the key "__proto__": plain assignment would hit the
 * Object.prototype setter and silently drop the tag.
 */
export function setTag(tags: Record<string, string>, key: string, value: string): void {
  if (key === '__proto__') Object.defineProperty(tags, key, { value, enumerable: true, writable: true, configurable: true });
  else tags[key] = value;
}
