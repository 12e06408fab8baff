/**
 * A streaming quantile over a sliding interval, in constant memory: durations fall into
 * log-spaced buckets (each 5 % wider than the last, so any answer is within 5 % of the truth),
 * counted in two generations — the current interval and the one before — and the answer reads
 * both, so the estimate covers between one and two intervals of history and old behaviour ages out.
 */

const GROWTH = 1.05;
const LOG_GROWTH = Math.log(GROWTH);
/** 1 µs … ~10^11 µs (27 hours) in 5 % steps. */
const BUCKETS = 520;

function bucketOf(micros: number): number {
  if (micros <= 1) return 0;
  const b = Math.ceil(Math.log(micros) / LOG_GROWTH);
  return b >= BUCKETS ? BUCKETS - 1 : b;
}

/** The upper bound of bucket `b`, µs. */
function boundOf(b: number): number {
  return GROWTH ** b;
}

export class SlidingQuantile {
  private current = new Uint32Array(BUCKETS);
  private previous = new Uint32Array(BUCKETS);
  private currentCount = 0;
  private previousCount = 0;
  private generation: number;

  constructor(
    private readonly intervalMs: number,
    now: number,
  ) {
    this.generation = Math.floor(now / intervalMs);
  }

  private roll(now: number): void {
    const g = Math.floor(now / this.intervalMs);
    // A clock a little behind the last one seen (a worker's batch clock runs ahead of the next tick)
    // stays in the current generation: taking it for a jump would forget every sample.
    if (g <= this.generation) return;
    if (g === this.generation + 1) {
      const old = this.previous;
      this.previous = this.current;
      this.previousCount = this.currentCount;
      old.fill(0);
      this.current = old;
    } else {
      this.previous.fill(0);
      this.current.fill(0);
      this.previousCount = 0;
    }
    this.currentCount = 0;
    this.generation = g;
  }

  add(micros: number, now: number): void {
    this.roll(now);
    const b = bucketOf(micros);
    this.current[b] = (this.current[b] as number) + 1;
    this.currentCount++;
  }

  /** Samples the estimate rests on. */
  count(now: number): number {
    this.roll(now);
    return this.currentCount + this.previousCount;
  }

  /** The q-quantile (0 < q < 1) in µs: the upper bound of the bucket holding it. NaN when empty. */
  quantile(q: number, now: number): number {
    this.roll(now);
    const total = this.currentCount + this.previousCount;
    if (total === 0) return Number.NaN;
    const rank = Math.ceil(q * total);
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += (this.current[b] as number) + (this.previous[b] as number);
      if (seen >= rank) return boundOf(b);
    }
    return boundOf(BUCKETS - 1);
  }
}
