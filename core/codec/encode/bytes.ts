/**
 * Byte-writing helpers for the Proto3 and JSON v2 encoders: UTF-8 sizes and writes matching
 * Zipkin's `WriteBuffer` (an unpaired surrogate is written as '?', 1 byte, where Buffer and
 * TextEncoder would write U+FFFD, 3 bytes), varints, hex IDs and IP addresses as bytes.
 *
 * Writers take the target and a position and return the next position, so encoders can size the
 * whole message first and fill one preallocated buffer.
 */
import { Buffer } from 'node:buffer';

/** Strings at least this long are sized and written natively; shorter ones in JS (no C++ call). */
const NATIVE_MIN = 64;

type WellFormed = string & { isWellFormed(): boolean };

/** Bytes of `s` in UTF-8, an unpaired surrogate counting as 1 ('?'). */
export function utf8Length(s: string): number {
  const len = s.length;
  // V8 checks well-formedness natively (String.prototype.isWellFormed, ES2024, in Node 20).
  if (len >= NATIVE_MIN && (s as WellFormed).isWellFormed()) return Buffer.byteLength(s, 'utf8');
  let size = len;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) size += 1;
    else if (c < 0xd800 || c > 0xdfff) size += 2;
    else if (c <= 0xdbff && i + 1 < len) {
      const low = s.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        size += 2; // 4 bytes for the pair's 2 code units
        i++;
      }
    }
    // else an unpaired surrogate: '?', 1 byte, already counted
  }
  return size;
}

/**
 * Writes `s` as UTF-8 at `pos`; returns the next position. Give `byteLength` (utf8Length(s)) when
 * known and `buf` is a Buffer: long well-formed strings are then written natively.
 */
export function writeUtf8(buf: Uint8Array, pos: number, s: string, byteLength = -1): number {
  // Native only for well-formed text: for it Buffer's UTF-8 is Zipkin's byte for byte.
  if (byteLength >= NATIVE_MIN && buf instanceof Buffer && (s as WellFormed).isWellFormed()) {
    buf.write(s, pos, byteLength, 'utf8');
    return pos + byteLength;
  }
  const len = s.length;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      buf[pos++] = c;
      continue;
    }
    const next = writeUtf8Unit(buf, pos, s, i, c);
    if (next - pos === 4) i++; // a surrogate pair: both units written
    pos = next;
  }
  return pos;
}

/**
 * Writes the code unit `c` = `s.charCodeAt(i)`, at least 0x80, as UTF-8 the way Zipkin's
 * `WriteBuffer` does; returns the next position. Four bytes are written only for a surrogate pair
 * (the caller then skips `i + 1`); an unpaired surrogate is '?', one byte.
 */
export function writeUtf8Unit(buf: Uint8Array, pos: number, s: string, i: number, c: number): number {
  if (c < 0x800) {
    buf[pos++] = 0xc0 | (c >> 6);
    buf[pos++] = 0x80 | (c & 0x3f);
    return pos;
  }
  if (c < 0xd800 || c > 0xdfff) {
    buf[pos++] = 0xe0 | (c >> 12);
    buf[pos++] = 0x80 | ((c >> 6) & 0x3f);
    buf[pos++] = 0x80 | (c & 0x3f);
    return pos;
  }
  const low = c <= 0xdbff && i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
  if (low >= 0xdc00 && low <= 0xdfff) {
    const cp = ((c - 0xd800) << 10) + (low - 0xdc00) + 0x10000;
    buf[pos++] = 0xf0 | (cp >> 18);
    buf[pos++] = 0x80 | ((cp >> 12) & 0x3f);
    buf[pos++] = 0x80 | ((cp >> 6) & 0x3f);
    buf[pos++] = 0x80 | (cp & 0x3f);
    return pos;
  }
  // Unpaired surrogate: '?', as Zipkin's WriteBuffer.writeUtf8 (which then also truncates the next
  // char to one byte, a bug we do not copy, so sizes always agree).
  buf[pos++] = 0x3f;
  return pos;
}

/** Bytes of an unsigned varint holding `v` (an integer, 0 ≤ v < 2^64). */
export function varintSize(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  if (v < 34359738368) return 5; // 2^35
  if (v < 4398046511104) return 6; // 2^42
  if (v < 562949953421312) return 7; // 2^49
  if (v < 72057594037927936) return 8; // 2^56
  if (v < 2 ** 63) return 9;
  return 10;
}

/** Writes an unsigned varint (0 ≤ v ≤ 2^53 exactly); division above 2^31, where bit ops would wrap. */
export function writeVarint(buf: Uint8Array, pos: number, v: number): number {
  while (v > 0x7fffffff) {
    buf[pos++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  while (v > 0x7f) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

/** Writes `v` (|v| ≤ 2^53) as a little-endian two's-complement 64-bit integer (protobuf fixed64). */
export function writeFixed64(buf: Uint8Array, pos: number, v: number): number {
  const hi = Math.floor(v / 4294967296); // floor keeps two's complement for negatives: -1 → hi -1
  const lo = v - hi * 4294967296;
  buf[pos] = lo & 0xff;
  buf[pos + 1] = (lo >>> 8) & 0xff;
  buf[pos + 2] = (lo >>> 16) & 0xff;
  buf[pos + 3] = (lo >>> 24) & 0xff;
  buf[pos + 4] = hi & 0xff;
  buf[pos + 5] = (hi >>> 8) & 0xff;
  buf[pos + 6] = (hi >>> 16) & 0xff;
  buf[pos + 7] = (hi >>> 24) & 0xff;
  return pos + 8;
}

const NIBBLE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i;
for (let i = 0; i < 6; i++) {
  NIBBLE[97 + i] = 10 + i;
  NIBBLE[65 + i] = 10 + i;
}

function nibble(hex: string, i: number): number {
  const c = hex.charCodeAt(i);
  const v = c < 128 ? (NIBBLE[c] as number) : -1;
  if (v < 0) throw new TypeError(`not a hex ID: ${JSON.stringify(hex.slice(0, 40))}`);
  return v;
}

/**
 * Writes an even-length hex ID as bytes (big-endian, as Zipkin's HexField). Spans reaching an
 * encoder are normalised, so a non-hex ID is a programming error: TypeError.
 */
export function writeHex(buf: Uint8Array, pos: number, hex: string): number {
  if ((hex.length & 1) !== 0) throw new TypeError(`hex ID of odd length: ${JSON.stringify(hex.slice(0, 40))}`);
  for (let i = 0; i < hex.length; i += 2) buf[pos++] = (nibble(hex, i) << 4) | nibble(hex, i + 1);
  return pos;
}

/** The 16 bytes of a textual IPv6 address (hex groups, optional '::'), or undefined. */
export function ipv6Bytes(s: string): Uint8Array | undefined {
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return undefined;
  const head = dbl >= 0 ? s.slice(0, dbl) : s;
  const tail = dbl >= 0 ? s.slice(dbl + 2) : '';
  const h = groups(head);
  const t = groups(tail);
  if (h === undefined || t === undefined) return undefined;
  const total = h.length + t.length;
  if (dbl >= 0 ? total > 7 : total !== 8) return undefined;
  const out = new Uint8Array(16);
  for (let i = 0; i < h.length; i++) {
    out[2 * i] = (h[i] as number) >> 8;
    out[2 * i + 1] = (h[i] as number) & 0xff;
  }
  const base = 8 - t.length;
  for (let i = 0; i < t.length; i++) {
    out[2 * (base + i)] = (t[i] as number) >> 8;
    out[2 * (base + i) + 1] = (t[i] as number) & 0xff;
  }
  return out;
}

function groups(part: string): number[] | undefined {
  if (part === '') return [];
  const out: number[] = [];
  for (const g of part.split(':')) {
    if (g.length === 0 || g.length > 4) return undefined;
    let v = 0;
    for (let i = 0; i < g.length; i++) {
      const c = g.charCodeAt(i);
      const n = c < 128 ? (NIBBLE[c] as number) : -1;
      if (n < 0) return undefined;
      v = (v << 4) | n;
    }
    out.push(v);
  }
  return out;
}
