/**
 * Reads complete lines from a file from a byte offset. A partial last line (the writer is mid-write)
 * is not returned and not consumed: the next read starts at its first byte again, so the position
 * store only ever records offsets at line boundaries. `maxBytes` bounds one read (bounded memory);
 * a single line longer than that is returned cut, flagged `oversized`, so the shipper dead-letters
 * it instead of stalling the file forever.
 */
import { readSync } from 'node:fs';

export interface Line {
  /** Offset of the line's first byte in the file. */
  start: number;
  /** Offset just past its newline: where reading resumes once this line is acknowledged. */
  end: number;
  bytes: Uint8Array;
  oversized: boolean;
}

export function readLines(fd: number, offset: number, maxBytes: number): Line[] {
  const buf = Buffer.allocUnsafe(maxBytes);
  const n = readSync(fd, buf, 0, maxBytes, offset);
  const lines: Line[] = [];
  let from = 0;
  for (let nl = buf.indexOf(0x0a, 0); nl >= 0 && nl < n; nl = buf.indexOf(0x0a, from)) {
    lines.push({ start: offset + from, end: offset + nl + 1, bytes: buf.subarray(from, nl), oversized: false });
    from = nl + 1;
  }
  if (lines.length === 0 && n === maxBytes) {
    lines.push({ start: offset, end: offset + n, bytes: buf.subarray(0, n), oversized: true });
  }
  return lines;
}
