/**
 * The span-level data-quality rules, run on every decoded span before filters and assembly. Each
 * rule is off unless configured, with one action: `fix` (repair the span and say so in its
 * `tracefold.fixed` tag), `drop` (counted, not stored) or `quarantine` (to the dead-letter topic
 * with the rule as its code). Off by default, because each of them changes or rejects spans the
 * stock Zipkin server stores as they are; config/recommended.yaml lists them with a recommendation.
 *
 * What the decoders already do as Zipkin does, for every span (not rules here): a missing or
 * all-zero trace or span ID makes the span undecodable (dead-lettered with code `invalid_id`); a
 * parent ID equal to the span's own ID, a zero or negative timestamp or duration are dropped from
 * the span (Zipkin's builder does the same, so the stored span is identical).
 *
 * The rules:
 *  - missing_timestamp: no `timestamp`. fix: the earliest annotation's, else the Kafka record's time
 *    (else the time it was received). Zipkin keeps such spans but its UI cannot place them.
 *  - bad_duration: a duration above `maxDurationMs` [24 h] (a clock or unit bug). fix: remove it.
 *  - timestamp_skew: a timestamp more than `maxFutureMs` [1 h] ahead of the clock or `maxPastMs`
 *    [7 d] behind it: it would land in the wrong day's index. No fix (nothing says when it
 *    happened): drop or quarantine.
 *  - long_name: a span name longer than `maxLength` [256]. fix: truncate.
 *  - long_tag: a tag key longer than `maxLength` [256] or value longer than `maxValueLength`
 *    [8192]. fix: truncate (a key that collides after truncation keeps the first value).
 *  - placeholder_service: an empty local service name or a placeholder (`names`, [unknown,
 *    unknown_service, unknown-service, undefined, null, -]). No fix (the real name is not known):
 *    drop or quarantine.
 */
import type { Span } from '../../core/model/span.js';
import type { CheckSettings, SpanRuleName, SpanRuleSettings } from '../protocol.js';

export const FIXED_TAG = 'tracefold.fixed';

export const SPAN_RULE_DEFAULTS = {
  maxDurationMs: 86_400_000,
  maxFutureMs: 3_600_000,
  maxPastMs: 7 * 86_400_000,
  maxLength: 256,
  maxValueLength: 8192,
  names: ['unknown', 'unknown_service', 'unknown-service', 'undefined', 'null', '-'],
} as const;

export interface CheckContext {
  /** Epoch ms of the Kafka record (or HTTP request) the span came in; 0 when unknown. */
  recordTimeMs: number;
  nowMs: number;
}

export type CheckVerdict =
  | { readonly action: 'keep' }
  | { readonly action: 'drop' | 'quarantine'; readonly rule: SpanRuleName; readonly reason: string };

const KEEP: CheckVerdict = { action: 'keep' };

/** A rule's test: a reason when the span breaks it, else undefined. `fix` repairs it. */
interface Rule {
  name: SpanRuleName;
  action: SpanRuleSettings['action'];
  test(span: Span, ctx: CheckContext): string | undefined;
  fix(span: Span, ctx: CheckContext): void;
}

function rule(s: SpanRuleSettings): Rule {
  const d = SPAN_RULE_DEFAULTS;
  switch (s.rule) {
    case 'missing_timestamp':
      return {
        name: s.rule,
        action: s.action,
        test: (span) => (span.timestamp === undefined ? 'span has no timestamp' : undefined),
        fix: (span, ctx) => {
          let ts = 0;
          if (span.annotations !== undefined) for (const a of span.annotations) if (ts === 0 || a.timestamp < ts) ts = a.timestamp;
          if (ts === 0) ts = (ctx.recordTimeMs > 0 ? ctx.recordTimeMs : ctx.nowMs) * 1000;
          span.timestamp = ts;
        },
      };
    case 'bad_duration': {
      const max = (s.maxDurationMs ?? d.maxDurationMs) * 1000;
      return {
        name: s.rule,
        action: s.action,
        test: (span) =>
          span.duration !== undefined && span.duration > max ? `duration ${span.duration} µs is above ${max} µs` : undefined,
        fix: (span) => {
          span.duration = undefined;
        },
      };
    }
    case 'timestamp_skew': {
      const future = (s.maxFutureMs ?? d.maxFutureMs) * 1000;
      const past = (s.maxPastMs ?? d.maxPastMs) * 1000;
      return {
        name: s.rule,
        action: s.action,
        test: (span, ctx) => {
          if (span.timestamp === undefined) return undefined;
          const now = ctx.nowMs * 1000;
          if (span.timestamp > now + future)
            return `timestamp ${span.timestamp} is ${Math.round((span.timestamp - now) / 1e6)} s in the future`;
          if (span.timestamp < now - past)
            return `timestamp ${span.timestamp} is ${Math.round((now - span.timestamp) / 1e6)} s in the past`;
          return undefined;
        },
        fix: () => undefined,
      };
    }
    case 'long_name': {
      const max = s.maxLength ?? d.maxLength;
      return {
        name: s.rule,
        action: s.action,
        test: (span) =>
          span.name !== undefined && span.name.length > max ? `name of ${span.name.length} characters (max ${max})` : undefined,
        fix: (span) => {
          span.name = (span.name as string).slice(0, max);
        },
      };
    }
    case 'long_tag': {
      const maxKey = s.maxLength ?? d.maxLength;
      const maxValue = s.maxValueLength ?? d.maxValueLength;
      return {
        name: s.rule,
        action: s.action,
        test: (span) => {
          const tags = span.tags;
          if (tags === undefined) return undefined;
          for (const k in tags) {
            if (k.length > maxKey) return `tag key of ${k.length} characters (max ${maxKey})`;
            if ((tags[k] as string).length > maxValue)
              return `tag ${k} has a value of ${(tags[k] as string).length} characters (max ${maxValue})`;
          }
          return undefined;
        },
        fix: (span) => {
          const out: Record<string, string> = {};
          for (const [k, v] of Object.entries(span.tags as Record<string, string>)) {
            const key = k.length > maxKey ? k.slice(0, maxKey) : k;
            if (!Object.hasOwn(out, key)) out[key] = v.length > maxValue ? v.slice(0, maxValue) : v;
          }
          span.tags = out;
        },
      };
    }
    case 'placeholder_service': {
      const names = new Set((s.names ?? d.names).map((n) => n.toLowerCase()));
      return {
        name: s.rule,
        action: s.action,
        test: (span) => {
          const svc = span.localEndpoint?.serviceName;
          if (svc === undefined || svc === '') return 'span has no local service name';
          return names.has(svc) ? `local service name is the placeholder "${svc}"` : undefined;
        },
        fix: () => undefined,
      };
    }
  }
}

export class SpanChecker {
  private readonly rules: Rule[];
  /** No rule configured: `check` returns at once (the default, on every span). */
  readonly active: boolean;

  constructor(settings: CheckSettings) {
    this.rules = settings.rules.map(rule);
    this.active = this.rules.length > 0;
  }

  /**
   * Runs the rules in order. A `fix` repairs the span in place and adds its name to the span's
   * `tracefold.fixed` tag; `onFixed` hears of each fix (for the per-rule, per-service counter).
   * The first `drop` or `quarantine` ends the check.
   */
  check(span: Span, ctx: CheckContext, onFixed: (rule: SpanRuleName) => void): CheckVerdict {
    if (!this.active) return KEEP;
    let fixed: string | undefined;
    for (const r of this.rules) {
      const reason = r.test(span, ctx);
      if (reason === undefined) continue;
      if (r.action !== 'fix') return { action: r.action, rule: r.name, reason };
      r.fix(span, ctx);
      fixed = fixed === undefined ? r.name : `${fixed},${r.name}`;
      onFixed(r.name);
    }
    if (fixed !== undefined) {
      const prior = span.tags?.[FIXED_TAG];
      span.tags = { ...span.tags, [FIXED_TAG]: prior === undefined ? fixed : `${prior},${fixed}` };
    }
    return KEEP;
  }
}
