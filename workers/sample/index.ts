/**
 * The sampling stage: decides, per assembled trace, whether it is stored. Policies are asked in the
 * configured order and the first that keeps the trace names the decision; a trace no policy keeps is
 * dropped (counted under `sampled_out`). Decisions are constant objects, one per policy, so deciding
 * allocates nothing beyond what a policy needs.
 */

import type { TraceSummary } from '../assemble/facts.js';
import type { TraceDecision } from '../assemble/windows.js';
import type { SamplePolicySettings, SampleSettings } from '../protocol.js';
import { Probabilistic } from './policies/probabilistic.js';
import { RateLimit } from './policies/rate-limit.js';
import { RareShape } from './policies/shape.js';
import { KeepAll, KeepDebug, KeepErrors } from './policies/simple.js';
import { SlowTraces } from './policies/slow.js';
import type { SamplePolicy } from './policy.js';

export const KEEP_ALL_DECISION: TraceDecision = { keep: true, policy: 'keep_all' };
export const SAMPLED_OUT: TraceDecision = { keep: false, policy: 'sampled_out' };

function policyOf(p: SamplePolicySettings): SamplePolicy {
  switch (p.type) {
    case 'keep_all':
      return new KeepAll(p.name);
    case 'error':
      return new KeepErrors(p.name);
    case 'debug':
      return new KeepDebug(p.name);
    case 'slow':
      return new SlowTraces(p.name, p);
    case 'shape':
      return new RareShape(p.name, p.perInterval, p.intervalMs);
    case 'probabilistic':
      return new Probabilistic(p.name, p.rate);
    case 'rate_limit':
      return new RateLimit(p.name, p.perSecond, p.service);
  }
}

export class Sampler {
  private readonly policies: SamplePolicy[];
  private readonly decisions: TraceDecision[];
  /** True when decisions need the whole trace (documents wait in the window for them). */
  readonly wholeTrace: boolean;
  readonly tagKept: boolean;

  constructor(settings: SampleSettings) {
    this.policies = settings.policies.map(policyOf);
    this.decisions = this.policies.map((p) => ({ keep: true, policy: p.name }));
    this.wholeTrace = settings.policies.length > 0 && settings.policies[0]?.type !== 'keep_all';
    this.tagKept = settings.tagKept && this.wholeTrace;
  }

  decide(trace: TraceSummary, now: number): TraceDecision {
    if (!this.wholeTrace) return KEEP_ALL_DECISION;
    const policies = this.policies;
    for (let i = 0; i < policies.length; i++) {
      if ((policies[i] as SamplePolicy).keeps(trace, now)) return this.decisions[i] as TraceDecision;
    }
    return SAMPLED_OUT;
  }
}
