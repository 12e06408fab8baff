/**
 * A 64-bit span ID (16 lower-case hex digits, as normalisation leaves every ID) as two 32-bit
 * numbers and back, so that a buffered row holds no ID string.
 */

const NIBBLE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i;
for (let i = 0; i < 6; i++) NIBBLE[97 + i] = 10 + i;

/** Char codes of the hex digits. */
const DIGIT = [48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102];

/** Whether `id` is 16 lower-case hex digits (then `idHigh`/`idLow` give it exactly). */
export function isHexId(id: string): boolean {
  if (id.length !== 16) return false;
  for (let i = 0; i < 16; i++) {
    const c = id.charCodeAt(i);
    if (c > 127 || (NIBBLE[c] as number) < 0) return false;
  }
  return true;
}

/** The upper 32 bits of a hex ID (as an int32). */
export function idHigh(id: string): number {
  return word(id, 0);
}

/** The lower 32 bits of a hex ID (as an int32). */
export function idLow(id: string): number {
  return word(id, 8);
}

function word(id: string, from: number): number {
  let w = 0;
  for (let i = from; i < from + 8; i++) w = (w << 4) | (NIBBLE[id.charCodeAt(i)] as number);
  return w;
}

/** The 16-digit ID of two words: one flat string, made in one go. */
export function hexId(high: number, low: number): string {
  return String.fromCharCode(
    DIGIT[(high >>> 28) & 15] as number,
    DIGIT[(high >>> 24) & 15] as number,
    DIGIT[(high >>> 20) & 15] as number,
    DIGIT[(high >>> 16) & 15] as number,
    DIGIT[(high >>> 12) & 15] as number,
    DIGIT[(high >>> 8) & 15] as number,
    DIGIT[(high >>> 4) & 15] as number,
    DIGIT[high & 15] as number,
    DIGIT[(low >>> 28) & 15] as number,
    DIGIT[(low >>> 24) & 15] as number,
    DIGIT[(low >>> 20) & 15] as number,
    DIGIT[(low >>> 16) & 15] as number,
    DIGIT[(low >>> 12) & 15] as number,
    DIGIT[(low >>> 8) & 15] as number,
    DIGIT[(low >>> 4) & 15] as number,
    DIGIT[low & 15] as number,
  );
}
