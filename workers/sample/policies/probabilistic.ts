/**
 * A base rate that every node and every replay applies alike: the decision is a function of the
 * trace ID alone (its lower 64 bits, so a 64-bit and a 128-bit form agree), never of arrival order.
 */

import type { TraceSummary } from '../../assemble/facts.js';
import { fmix32, traceHash } from '../../assemble/shard.js';
import type { SamplePolicy } from '../policy.js';

/** Salted so the sample is independent of which worker a trace is sharded to (same hash). */
const SALT = 0x5bd1e995;

export function traceFraction(traceKey: string): number {
  return fmix32(traceHash(traceKey) ^ SALT) / 4294967296;
}

export class Probabilistic implements SamplePolicy {
  constructor(
    readonly name: string,
    private readonly rate: number,
  ) {}
  keeps(trace: TraceSummary): boolean {
    return traceFraction(trace.key) < this.rate;
  }
}
