/**
 * JSON string literals exactly as Zipkin's Jackson 2.x `UTF8JsonGenerator` (default `JsonFactory`)
 * writes them, because the document `_id` is an MD5 of those bytes.
 *
 * Jackson and `JSON.stringify` agree on `\"`, `\\`, `\b \t \n \f \r`, on leaving U+007F, `/`,
 * U+2028/2029 and every other BMP character raw (UTF-8). They differ on two things:
 *  - other C0 controls: Jackson writes `\u001F` (upper-case hex), V8 writes `\u001f`;
 *  - surrogates: Jackson's writeString escapes **every** UTF-16 surrogate code unit, paired or not
 *    (`\uD83D\uDE02` for 😂, upper-case hex; jackson-core#223, still the 2.x default since
 *    COMBINE_UNICODE_SURROGATES_IN_UTF8 is off), while V8 writes a valid pair as raw UTF-8.
 * Strings without those characters (nearly all) take the `JSON.stringify` fast path.
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the characters the two escapers disagree on.
const JACKSON_DIFFERS = /[\u0000-\u0007\u000b\u000e-\u001f\ud800-\udfff]/;
const HEX = '0123456789ABCDEF';

function hex4(c: number): string {
  return '\\u' + HEX[(c >> 12) & 15] + HEX[(c >> 8) & 15] + HEX[(c >> 4) & 15] + HEX[c & 15];
}

function slowQuote(s: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc: string | undefined;
    if (c < 0x20) {
      if (c === 8) esc = '\\b';
      else if (c === 9) esc = '\\t';
      else if (c === 10) esc = '\\n';
      else if (c === 12) esc = '\\f';
      else if (c === 13) esc = '\\r';
      else esc = hex4(c);
    } else if (c === 0x22) {
      esc = '\\"';
    } else if (c === 0x5c) {
      esc = '\\\\';
    } else if (c >= 0xd800 && c <= 0xdfff) {
      esc = hex4(c);
    }
    if (esc !== undefined) {
      if (i > start) out += s.slice(start, i);
      out += esc;
      start = i + 1;
    }
  }
  if (start < s.length) out += s.slice(start);
  return out + '"';
}

/** The quoted JSON literal of `s`, byte-compatible with Jackson once UTF-8 encoded. */
export function quote(s: string): string {
  // Most strings (names, tag keys, short values) are plain: for those a char scan and a
  // concatenation beat a regex test plus a native JSON.stringify call (≈ 40 ns a string).
  if (s.length <= SCAN_MAX) {
    let i = 0;
    for (; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) break;
    }
    if (i === s.length) return '"' + s + '"';
  }
  return JACKSON_DIFFERS.test(s) ? slowQuote(s) : JSON.stringify(s);
}

const SCAN_MAX = 64;
