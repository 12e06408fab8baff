/**
 * "Did you mean …?" for unknown keys, flags and environment variables. Pure string work, no schema
 * knowledge: callers pass the candidates that are valid where the mistake was made.
 */

/** Optimal-string-alignment distance: Levenshtein plus adjacent transpositions (`tpoic` → `topic` is 1). */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  // Three rolling rows are enough for the transposition look-back.
  let prevPrev: number[] = new Array<number>(b.length + 1).fill(0);
  let prev: number[] = Array.from({ length: b.length + 1 }, (_, j) => j);
  let cur: number[] = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prevPrev[j - 2]! + 1);
      cur[j] = d;
    }
    [prevPrev, prev, cur] = [prev, cur, prevPrev];
  }
  return prev[b.length]!;
}

/** Case and separators do not count: `bootstrap_servers`, `bootstrap-servers` and `bootstrapServers` are one name. */
function fold(s: string): string {
  return s.toLowerCase().replace(/[-_.]/g, '');
}

function lastSegment(s: string, separator: string): string {
  const at = s.lastIndexOf(separator);
  return at === -1 ? s : s.slice(at + 1);
}

/**
 * The candidate nearest to `input`, or undefined when nothing is close enough to be a plausible typo.
 * `separator` splits names into segments ('.' for dotted keys, '-' for flags, '_' for env vars): a
 * candidate that ends with the input's whole text or shares its last segment is a near miss too, which
 * catches a key written in the wrong section (`es.topic` → `kafka.topic`) or without its section
 * (`--bootstrap-servers` → `--kafka-bootstrap-servers`).
 */
export function suggest(input: string, candidates: Iterable<string>, separator: string): string | undefined {
  const folded = fold(input);
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const c = fold(candidate);
    let score: number;
    if (c === folded) score = 0;
    else if (candidate.toLowerCase().endsWith(separator + input.toLowerCase())) score = 1;
    else if (separator === '.' && input.includes('.') && fold(lastSegment(candidate, '.')) === fold(lastSegment(input, '.'))) score = 1.5;
    else score = editDistance(folded, c);
    if (score < bestScore) {
      bestScore = score;
      best = candidate;
    }
  }
  // A third of the name may be wrong (at least two characters): beyond that a suggestion is noise.
  const limit = Math.max(2, Math.floor(folded.length / 3));
  return bestScore <= limit ? best : undefined;
}

/** `"; did you mean X?"` or nothing, ready to append to a message. */
export function didYouMean(input: string, candidates: Iterable<string>, separator: string): string {
  const hit = suggest(input, candidates, separator);
  return hit === undefined ? '' : `; did you mean ${hit}?`;
}
