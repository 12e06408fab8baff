/**
 * One sampling policy: a question asked of an assembled trace ("keep this one?"). Policies hold
 * their own state (learned thresholds, per-shape counts, rate budgets); time reaches them as the
 * `now` argument (the coordinator's ticks), never from a clock of their own.
 */
import type { TraceSummary } from '../assemble/facts.js';

export interface SamplePolicy {
  /** Metric label and `tracefold.sampled` value. */
  readonly name: string;
  keeps(trace: TraceSummary, now: number): boolean;
}
