/**
 * Slow traces: a trace whose duration (first span start to last span end) is above the threshold of
 * its root (service, span name) — fixed, or learned online as a quantile of that root's recent
 * durations. A learned threshold is consulted before the trace is added, so an outlier is judged
 * against what came before it. Until a root has `minSamples` traces its threshold is unknown, and
 * its traces are kept (a sampler that must not lose slow traces cannot call one ordinary before it
 * knows what ordinary is): the cost is at most `minSamples` traces per root and interval. It must be
 * large enough that several traces lie above the quantile (the configuration's default: about 10),
 * or a few early outliers are the quantile and the next outlier is not above it.
 */
import type { TraceSummary } from '../../assemble/facts.js';
import type { SamplePolicy } from '../policy.js';
import { SlidingQuantile } from '../quantile.js';

const MAX_ROOTS = 5_000;

export interface SlowOptions {
  thresholdMs?: number;
  quantile: number;
  intervalMs: number;
  minSamples: number;
}

export class SlowTraces implements SamplePolicy {
  private roots = new Map<string, SlidingQuantile>();

  constructor(
    readonly name: string,
    private readonly opts: SlowOptions,
  ) {}

  keeps(trace: TraceSummary, now: number): boolean {
    if (trace.duration === 0) return false;
    if (this.opts.thresholdMs !== undefined) return trace.duration > this.opts.thresholdMs * 1000;
    const root = trace.root;
    const key = root === undefined ? '' : root.service + '\u0001' + root.name;
    let q = this.roots.get(key);
    if (q === undefined) {
      if (this.roots.size >= MAX_ROOTS) this.roots = new Map();
      q = new SlidingQuantile(this.opts.intervalMs, now);
      this.roots.set(key, q);
    }
    const slow = q.count(now) < this.opts.minSamples || trace.duration > q.quantile(this.opts.quantile, now);
    q.add(trace.duration, now);
    return slow;
  }
}
