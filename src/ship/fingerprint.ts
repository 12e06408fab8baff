/**
 * A file's identity by content: a hash of its first line (at most FINGERPRINT_BYTES). It survives
 * what inodes do not — a copy-truncate copy has a new inode but the content the shipper already
 * read — and an inode reused after a delete gets a different one. Undefined until the first line is
 * complete (or FINGERPRINT_BYTES long): a half-written first line would change its hash.
 * Span lines start with unique trace and span ids, so two files sharing a first line in practice
 * share their content.
 */
import { createHash } from 'node:crypto';
import { readSync } from 'node:fs';

export const FINGERPRINT_BYTES = 4096;

export function fingerprint(fd: number, size: number): string | undefined {
  const want = Math.min(size, FINGERPRINT_BYTES);
  if (want === 0) return undefined;
  const buf = Buffer.allocUnsafe(want);
  const n = readSync(fd, buf, 0, want, 0);
  const nl = buf.subarray(0, n).indexOf(0x0a);
  if (nl < 0 && n < FINGERPRINT_BYTES) return undefined;
  const first = nl < 0 ? buf.subarray(0, n) : buf.subarray(0, nl + 1);
  return createHash('sha1').update(first).digest('hex').slice(0, 24);
}
