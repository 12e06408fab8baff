/**
 * Small statistics for benchmark figures. The machine is shared and noisy, so every figure is
 * a median over several runs with its spread (min–max), never a single number.
 */

/** Median and spread of a set of runs. `spreadPct` is (max − min) / median in percent. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
  spreadPct: number;
}

function sorted(values: readonly number[]): number[] {
  for (const v of values) if (!Number.isFinite(v)) throw new RangeError(`not a finite number: ${v}`);
  return [...values].sort((a, b) => a - b);
}

/**
 * The p-th percentile (0 ≤ p ≤ 100) by linear interpolation between closest ranks (numpy's
 * default, "type 7"): p50 of an even count is the mean of the two middle values.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new RangeError('percentile of no values');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be in [0, 100], got ${p}`);
  return percentileSorted(sorted(values), p);
}

/** `percentile` for input already sorted ascending (large latency sets: sort once, read many). */
export function percentileSorted(s: readonly number[], p: number): number {
  if (s.length === 0) throw new RangeError('percentile of no values');
  const rank = (p / 100) * (s.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = s[lo] as number;
  const b = s[hi] as number;
  return a + (b - a) * (rank - lo);
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export function summarize(values: readonly number[]): Summary {
  const s = sorted(values);
  if (s.length === 0) throw new RangeError('summary of no values');
  const med = percentileSorted(s, 50);
  const min = s[0] as number;
  const max = s[s.length - 1] as number;
  return { median: med, min, max, n: s.length, spreadPct: med === 0 ? 0 : ((max - min) / Math.abs(med)) * 100 };
}

/** Element-wise ratios a[i] / b[i] of runs taken side by side (same round, same machine state). */
export function pairedRatios(a: readonly number[], b: readonly number[]): number[] {
  if (a.length !== b.length) throw new RangeError(`paired ratios need equal lengths, got ${a.length} and ${b.length}`);
  return a.map((x, i) => x / (b[i] as number));
}

/**
 * Median and range of paired ratios a[i] / b[i], leaving out pairs where either side has no figure
 * (a run that never reached 90 % has no steady rate); undefined when no pair is left.
 */
export function pairedSummary(a: readonly number[], b: readonly number[]): Summary | undefined {
  const xs = pairedRatios(a, b).filter((x) => Number.isFinite(x));
  return xs.length > 0 ? summarize(xs) : undefined;
}

/** A poll of a document count: seconds since process start, documents searchable then. */
export interface CountPoint {
  t: number;
  count: number;
}

/**
 * The first polls at or above 10 % and 90 % of `expected`: the steady part of a run, start-up
 * and tail excluded. Every side is measured through this one definition so their rates compare.
 */
export function steadyWindow<P extends CountPoint>(points: readonly P[], expected: number): { a: P; b: P } | undefined {
  const a = points.find((s) => s.count >= expected * 0.1);
  const b = points.find((s) => s.count >= expected * 0.9);
  return a === undefined || b === undefined || b.t <= a.t ? undefined : { a, b };
}

/** Documents per second between two polls (NaN without a window). */
export function rateBetween(w: { a: CountPoint; b: CountPoint } | undefined): number {
  return w === undefined ? Number.NaN : (w.b.count - w.a.count) / (w.b.t - w.a.t);
}

/**
 * Documents per second "while making progress": from the first poll that saw a document to the
 * first that saw the final count. A run that died or stalled still has one.
 */
export function activeRate(points: readonly CountPoint[]): number {
  const final = points[points.length - 1]?.count ?? 0;
  const first = points.find((s) => s.count > 0);
  const end = points.find((s) => s.count >= final);
  return first && end && end.t > first.t ? (end.count - first.count) / (end.t - first.t) : Number.NaN;
}

/** "1.23M", "456k", "789": three significant digits, SI suffix. */
export function si(n: number, digits = 3): string {
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  const units: [number, string][] = [
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [scale, suffix] of units) {
    if (abs >= scale) return `${(n / scale).toPrecision(digits)}${suffix}`;
  }
  return abs >= 100 || Number.isInteger(n) ? String(Math.round(n)) : n.toPrecision(digits);
}

/** Bytes in binary units: "1.5 MiB". */
export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

/** "123k (118k–125k)" or just "123k" for a single run. */
export function formatSummary(s: Summary, fmt: (n: number) => string = si): string {
  if (s.n === 1 || s.min === s.max) return fmt(s.median);
  return `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`;
}
