/**
 * Keep up to `perSecond` traces per second for each root service (or for one named service): a
 * token bucket per service, refilled from the ticks' time, holding at most one second of budget so
 * a quiet hour does not license a burst.
 */
import type { TraceSummary } from '../../assemble/facts.js';
import type { SamplePolicy } from '../policy.js';

interface Bucket {
  tokens: number;
  at: number;
}

const MAX_SERVICES = 10_000;

export class RateLimit implements SamplePolicy {
  private buckets = new Map<string, Bucket>();

  constructor(
    readonly name: string,
    private readonly perSecond: number,
    private readonly service: string | undefined,
  ) {}

  keeps(trace: TraceSummary, now: number): boolean {
    const svc = trace.root?.service ?? '';
    if (this.service !== undefined && svc !== this.service) return false;
    let b = this.buckets.get(svc);
    if (b === undefined) {
      if (this.buckets.size >= MAX_SERVICES) this.buckets = new Map();
      b = { tokens: this.perSecond, at: now };
      this.buckets.set(svc, b);
    } else if (now > b.at) {
      b.tokens = Math.min(this.perSecond, b.tokens + ((now - b.at) / 1000) * this.perSecond);
      b.at = now;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}
