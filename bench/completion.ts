/**
 * When a run is complete: every expected document `_id` is in the index (a refreshed check at the
 * end), not when `_count` reaches a number — a count can be reached with extra documents while
 * expected ones are missing. Document IDs are deterministic (`traceId-md5(document)`, see
 * `documentId` in workers/encode/es-document.ts), so the generator knows them all in advance.
 */
import { pairedSummary, type Summary } from './stats.js';

export interface Completion {
  /** Distinct document IDs expected. */
  expected: number;
  /** Of those, how many are in the index. */
  found: number;
  missing: number;
  /** Documents in the index that are not among the expected (refreshed `_count` − found). */
  extra: number;
  complete: boolean;
  /** A few missing IDs, to look them up by hand. */
  missingSample: string[];
}

/** The verdict from the expected IDs, the expected IDs found, and the refreshed count of the index. */
export function completionVerdict(expected: Iterable<string>, found: ReadonlySet<string>, countInIndex: number): Completion {
  let n = 0;
  let hits = 0;
  const sample: string[] = [];
  for (const id of expected) {
    n++;
    if (found.has(id)) hits++;
    else if (sample.length < 5) sample.push(id);
  }
  return {
    expected: n,
    found: hits,
    missing: n - hits,
    extra: Math.max(0, countInIndex - hits),
    complete: hits === n,
    missingSample: sample,
  };
}

/** How an incomplete run is reported (it gives no ratio); undefined for a complete one. */
export function incompleteText(c: Completion, reason: string | undefined): string | undefined {
  if (c.complete) return undefined;
  return `did not complete: ${c.found} of ${c.expected} stored, ${reason ?? 'expected documents missing'}`;
}

/** Fixed-size slices of a list: ID lookups go to the engine in chunks. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  if (!(size >= 1)) throw new RangeError(`chunk size must be ≥ 1, got ${size}`);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The rates of one run that a ratio can be taken of. */
export interface RatedRun {
  run: number;
  complete: boolean;
  drainDocsPerSec: number;
  activeDocsPerSec: number;
  steadyDocsPerSec: number;
  wallDocsPerSec: number;
}

/**
 * a / b, paired by run number (the same round) over the rounds where both runs completed, then
 * summarized; a rate missing from a completed run (no steady window) leaves only that ratio out.
 */
export function completedRatios(a: readonly RatedRun[], b: readonly RatedRun[]): RatioSet {
  const pairs = a.flatMap((x) => {
    const y = b.find((r) => r.run === x.run);
    return y !== undefined && x.complete && y.complete ? [{ x, y }] : [];
  });
  const out: RatioSet = { pairs: pairs.length };
  const put = (key: Exclude<keyof RatioSet, 'pairs'>, f: (r: RatedRun) => number): void => {
    const s = pairedSummary(
      pairs.map((p) => f(p.x)),
      pairs.map((p) => f(p.y)),
    );
    if (s) out[key] = s;
  };
  put('drain', (r) => r.drainDocsPerSec);
  put('active', (r) => r.activeDocsPerSec);
  put('steady', (r) => r.steadyDocsPerSec);
  put('wall', (r) => r.wallDocsPerSec);
  return out;
}

/**
 * tracefold / a peer, paired by round, over the rounds where both runs completed (a run that did
 * not complete gives no ratio). drain: first record consumed → last document searchable.
 */
export interface RatioSet {
  drain?: Summary;
  active?: Summary;
  steady?: Summary;
  /** Process start → last document searchable: start-up included. */
  wall?: Summary;
  /** Rounds where both runs completed. */
  pairs: number;
}
