/**
 * Adaptive concurrency for the bulk writer: how many `_bulk` requests a worker keeps in flight,
 * between 1 and the configured `bulkMaxInFlight`. It grows by one after a full window of answers
 * (as many as the current limit) that came back neither throttled nor slow, and backs off when
 * the engine pushes back: halves on a 429 (request or item: the engine's queues are full) and
 * drops by one when latency rises well above the best it has seen (requests are queueing inside
 * the engine: more of them only adds waiting). After a back-off it holds for a cool-down, so one
 * burst of 429s is one step down, not one per request still in flight.
 *
 * Latency is judged on an exponentially weighted average against a baseline: the lowest average
 * seen, let drift up slowly so a single fast answer long ago does not make every later one look
 * slow (indices grow, merges run: what was fast at start need not be fast an hour later).
 */
import type { Clock } from '../sink.js';

export interface AdaptiveOptions {
  /** Upper bound (the configured `bulkMaxInFlight`). */
  max: number;
  /** Where it starts. [1] */
  initial?: number;
  /** Average latency above baseline × this is "slow". [2] */
  tolerance?: number;
  /** No growth for this long after a back-off. [1000 ms] */
  cooldownMs?: number;
  /** Weight of a new latency in the average. [0.3] */
  alpha?: number;
  /** Baseline drift up per answer (a factor). [1.002] */
  drift?: number;
}

export type Outcome = 'ok' | 'throttled';

export class AdaptiveLimit {
  readonly max: number;
  #limit: number;
  readonly #tolerance: number;
  readonly #cooldownMs: number;
  readonly #alpha: number;
  readonly #drift: number;
  readonly #clock: Pick<Clock, 'now'>;
  #avg: number | undefined;
  #baseline = Number.POSITIVE_INFINITY;
  /** Good answers at the current limit, toward the next step up. */
  #good = 0;
  #holdUntil = Number.NEGATIVE_INFINITY;

  constructor(options: AdaptiveOptions, clock: Pick<Clock, 'now'>) {
    if (!(options.max >= 1)) throw new RangeError(`max must be ≥ 1, got ${options.max}`);
    this.max = Math.floor(options.max);
    this.#limit = Math.min(this.max, Math.max(1, Math.floor(options.initial ?? 1)));
    this.#tolerance = options.tolerance ?? 2;
    this.#cooldownMs = options.cooldownMs ?? 1000;
    this.#alpha = options.alpha ?? 0.3;
    this.#drift = options.drift ?? 1.002;
    this.#clock = clock;
  }

  /** Requests that may be in flight now. */
  get limit(): number {
    return this.#limit;
  }

  /** The latency average and its baseline (ms), for logs and tests. */
  get latency(): { average: number | undefined; baseline: number } {
    return { average: this.#avg, baseline: this.#baseline };
  }

  /**
   * One answer: its latency (ms; NaN when there was none, e.g. a connection error) and whether
   * the engine throttled it. Returns the limit after it.
   */
  onAnswer(latencyMs: number, outcome: Outcome): number {
    const now = this.#clock.now();
    if (Number.isFinite(latencyMs)) {
      this.#avg = this.#avg === undefined ? latencyMs : this.#avg + this.#alpha * (latencyMs - this.#avg);
      this.#baseline = Math.min(this.#baseline * this.#drift, this.#avg);
    }
    if (outcome === 'throttled') {
      this.#backOff(now, Math.max(1, Math.floor(this.#limit / 2)));
      return this.#limit;
    }
    const slow = this.#avg !== undefined && this.#avg > this.#baseline * this.#tolerance;
    if (slow) {
      this.#backOff(now, Math.max(1, this.#limit - 1));
      return this.#limit;
    }
    if (now < this.#holdUntil) return this.#limit;
    if (++this.#good >= this.#limit && this.#limit < this.max) {
      this.#limit++;
      this.#good = 0;
    }
    return this.#limit;
  }

  #backOff(now: number, to: number): void {
    this.#good = 0;
    // Answers to requests sent before the last back-off say nothing new: one step per cool-down.
    if (now < this.#holdUntil) return;
    this.#limit = to;
    this.#holdUntil = now + this.#cooldownMs;
  }
}
