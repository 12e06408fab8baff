/**
 * Byte-writing helpers shared by the v1 encoders (JSON v1 and Thrift), reproducing Zipkin's
 * `WriteBuffer` and `JsonEscaper` byte for byte so that our output can be compared with
 * `SpanBytesEncoder.JSON_V1` / `THRIFT`:
 *
 * - UTF-8 from UTF-16 where an unpaired surrogate becomes a single '?' (0x3f), as Zipkin's
 *   `WriteBuffer.writeUtf8` does (TextEncoder would write U+FFFD, 3 bytes, and every size
 *   computed up front would be off).
 * - JSON string escaping: `"` `\` and U+0000..U+001F (\t \b \n \r \f short forms, others
 *   \u00XX lower-case hex), plus U+2028/U+2029 as \u2028/\u2029; '/' and other characters are
 *   written as they are.
 *
 * Every writer takes the target array and a position and returns the next position: callers
 * size the whole message first and write into one preallocated buffer, no intermediate strings.
 */
import { writeUtf8Unit } from './bytes.js';

/** Writes an ASCII-only string (keys, hex IDs, IPs) byte per char. */
export function writeAscii(buf: Uint8Array, pos: number, s: string): number {
  for (let i = 0; i < s.length; i++) buf[pos++] = s.charCodeAt(i);
  return pos;
}

// Escape length (in bytes, written as ASCII) for each code unit < 0x80; 0 = no escape.
const ESCAPE_LEN = new Uint8Array(128);
for (let i = 0; i < 0x20; i++) ESCAPE_LEN[i] = 6; // \u00XX
ESCAPE_LEN[0x22] = 2; // \"
ESCAPE_LEN[0x5c] = 2; // \\
ESCAPE_LEN[0x09] = 2; // \t
ESCAPE_LEN[0x08] = 2; // \b
ESCAPE_LEN[0x0a] = 2; // \n
ESCAPE_LEN[0x0d] = 2; // \r
ESCAPE_LEN[0x0c] = 2; // \f
const SHORT_ESCAPE: Record<number, number> = { 34: 0x22, 92: 0x5c, 9: 0x74, 8: 0x62, 10: 0x6e, 13: 0x72, 12: 0x66 };
const HEX_LOWER = '0123456789abcdef';

/** Byte length of `s` once JSON-escaped (without quotes) and UTF-8 encoded. */
export function jsonEscapedSize(s: string): number {
  const len = s.length;
  let size = len;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      const e = ESCAPE_LEN[c] as number;
      if (e !== 0) size += e - 1;
    } else if (c === 0x2028 || c === 0x2029) {
      size += 5; // \u2028: 6 bytes for one code unit
    } else if (c < 0x800) {
      size += 1;
    } else if (c < 0xd800 || c > 0xdfff) {
      size += 2;
    } else if (c <= 0xdbff && i + 1 < len) {
      const low = s.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        size += 2;
        i++;
      }
    }
  }
  return size;
}

/** Writes `s` JSON-escaped (without quotes) as UTF-8; returns the position after it. */
export function writeJsonEscaped(buf: Uint8Array, pos: number, s: string): number {
  const len = s.length;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      if (ESCAPE_LEN[c] === 0) {
        buf[pos++] = c;
        continue;
      }
      buf[pos++] = 0x5c; // backslash
      const short = SHORT_ESCAPE[c];
      if (short !== undefined) {
        buf[pos++] = short;
      } else {
        buf[pos++] = 0x75; // u
        buf[pos++] = 0x30;
        buf[pos++] = 0x30;
        buf[pos++] = HEX_LOWER.charCodeAt(c >> 4);
        buf[pos++] = HEX_LOWER.charCodeAt(c & 0xf);
      }
    } else if (c === 0x2028 || c === 0x2029) {
      buf[pos++] = 0x5c;
      buf[pos++] = 0x75;
      buf[pos++] = 0x32;
      buf[pos++] = 0x30;
      buf[pos++] = 0x32;
      buf[pos++] = c === 0x2028 ? 0x38 : 0x39;
    } else {
      const next = writeUtf8Unit(buf, pos, s, i, c);
      if (next - pos === 4) i++; // a surrogate pair: both units written
      pos = next;
    }
  }
  return pos;
}

/**
 * Byte length of an integer's decimal text (Java's `Long.toString`). Values are JS numbers, exact
 * up to 2^53, which every timestamp the model holds respects (normalize.ts); fractions are
 * truncated, as a Java long would hold them.
 */
export function decimalSize(v: number): number {
  let t = Math.trunc(v);
  if (t > Number.MAX_SAFE_INTEGER || t < -Number.MAX_SAFE_INTEGER) return decimalString(t).length;
  let n = 1;
  if (t < 0) {
    n++;
    t = -t;
  }
  while (t >= 10) {
    t = Math.floor(t / 10);
    n++;
  }
  return n;
}

/** Writes an integer's decimal text at `pos`; returns the position after it. */
export function writeDecimal(buf: Uint8Array, pos: number, v: number): number {
  let t = Math.trunc(v);
  if (t > Number.MAX_SAFE_INTEGER || t < -Number.MAX_SAFE_INTEGER) return writeAscii(buf, pos, decimalString(t));
  if (t < 0) {
    buf[pos++] = 0x2d; // -
    t = -t;
  }
  const end = pos + decimalSize(t);
  let i = end;
  do {
    const q = Math.floor(t / 10);
    buf[--i] = 0x30 + (t - q * 10);
    t = q;
  } while (t !== 0);
  return end;
}

/** The decimal text of an integer, without exponent notation whatever its magnitude. */
export function decimalString(v: number): string {
  const t = Math.trunc(v);
  // String() switches to exponent notation at 1e21; BigInt keeps every digit.
  return t < 1e21 && t > -1e21 ? String(t) : BigInt(t).toString();
}
