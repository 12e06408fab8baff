/**
 * Dotted-quad IPv4 as Zipkin's `Endpoint.detectFamily` accepts it (netty's isValidIpV4Address): four
 * words of one to three decimal digits, each ≤ 255. Leading zeros are allowed (`10.0.0.04`); decimal,
 * never octal. One parser for normalisation (which keeps the text as given, as Zipkin does) and the
 * binary encoders (which write the number).
 */

/**
 * The address as an unsigned 32-bit number (first octet highest), or -1 when the text is not one.
 * A number, not bytes, so checking (sizing pass) and writing allocate nothing.
 */
export function parseIpv4(s: string): number {
  const len = s.length;
  if (len < 7 || len > 15) return -1;
  let addr = 0;
  let dots = 0;
  let val = 0;
  let digits = 0;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      val = val * 10 + (c - 48);
      if (val > 255 || ++digits > 3) return -1;
    } else if (c === 46 && digits > 0 && dots < 3) {
      addr = addr * 256 + val;
      dots++;
      val = 0;
      digits = 0;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return addr * 256 + val;
}

/** Whether `s` is a dotted-quad IPv4 address (see `parseIpv4`). */
export function isIpv4(s: string): boolean {
  return parseIpv4(s) >= 0;
}
