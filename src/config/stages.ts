/**
 * The structured part of the configuration: trace-level sampling policies, filter rules and the
 * trace-level data-quality rules. They are lists and nested mappings, so they come from the YAML
 * file (or a JSON string in an environment variable or flag) rather than from one flag each, and
 * they are what a reload may change without a restart.
 *
 * Validation reports every problem with its path (`sample.policies[2].rate: …`) so the loader can
 * list them all at once, and rejects unknown keys like the rest of the configuration.
 *
 *   sample:
 *     tagKept: true              # kept spans carry tracefold.sampled=<policy>
 *     policies:                  # asked in order; the first that keeps a trace names the decision
 *       - type: error            # error tag, HTTP 5xx, gRPC non-OK
 *       - type: debug
 *       - type: slow             # above a fixed threshold, or a learned quantile per root
 *         quantile: 0.95
 *         interval: 5m
 *         minSamples: 200        # default: enough for 10 traces above the quantile
 *       - type: shape            # the first K traces of each shape per interval
 *         perInterval: 1
 *         interval: 1m
 *       - type: probabilistic    # by trace ID: the same answer on every node and replay
 *         rate: 0.01
 *       - type: rate_limit       # up to N traces/s per root service (or one service)
 *         perSecond: 10
 *   filter:
 *     rules:
 *       - name: health
 *         action: exclude
 *         spanName: { prefix: "get /health" }
 */
import {
  type CheckSettings,
  type FilterRuleSettings,
  NO_FIX_RULES,
  type SamplePolicySettings,
  SPAN_RULES,
  type SpanRuleName,
  type SpanRuleSettings,
  type StringMatch,
  TRACE_CHECK_DEFAULTS,
  type TraceCheckSettings,
} from '../../workers/protocol.js';
import { parseDurationMs as parseDurationText } from './parse.js';
import type { ItemValidator } from './records.js';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A duration from the YAML file: the config's own syntax (`250ms`, `5s`, `1m30s`, …) or a number of milliseconds. */
export function parseDurationMs(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v : null;
  if (typeof v !== 'string') return null;
  return parseDurationText(v.trim()) ?? null;
}

class Reader {
  readonly problems: Array<{ path: string; message: string }> = [];

  constructor(readonly path: string) {}

  get errors(): string[] {
    return this.problems.map((p) => `${p.path}: ${p.message}`);
  }

  /** `key` is a dotted sub-path (`policies[2].rate`) or an index (`[2].action`). */
  at(key: string): string {
    if (key === '') return this.path;
    if (this.path === '' || key.startsWith('[')) return `${this.path}${key}`;
    return `${this.path}.${key}`;
  }

  error(key: string, msg: string): void {
    this.problems.push({ path: this.at(key), message: msg });
  }

  /** Reports keys of `o` not in `known`. */
  only(o: Obj, known: readonly string[]): void {
    for (const k of Object.keys(o)) if (!known.includes(k)) this.error(k, `unknown key (known: ${known.join(', ')})`);
  }

  number(o: Obj, key: string, min: number, max: number, required: boolean): number | undefined {
    const v = o[key];
    if (v === undefined) {
      if (required) this.error(key, 'required');
      return undefined;
    }
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isFinite(n) || n < min || n > max) {
      this.error(key, `must be a number from ${min} to ${max}, got ${JSON.stringify(v)}`);
      return undefined;
    }
    return n;
  }

  duration(o: Obj, key: string, fallback: number): number {
    const v = o[key];
    if (v === undefined) return fallback;
    const ms = parseDurationMs(v);
    if (ms === null || ms <= 0) {
      this.error(key, `must be a positive duration such as 500ms, 30s or 5m, got ${JSON.stringify(v)}`);
      return fallback;
    }
    return ms;
  }

  string(o: Obj, key: string, required: boolean): string | undefined {
    const v = o[key];
    if (v === undefined) {
      if (required) this.error(key, 'required');
      return undefined;
    }
    if (typeof v !== 'string' || v === '') {
      this.error(key, `must be a non-empty string, got ${JSON.stringify(v)}`);
      return undefined;
    }
    return v;
  }

  bool(o: Obj, key: string, fallback: boolean): boolean {
    const v = o[key];
    if (v === undefined) return fallback;
    if (typeof v === 'boolean') return v;
    if (v === 'true' || v === 'false') return v === 'true';
    this.error(key, `must be true or false, got ${JSON.stringify(v)}`);
    return fallback;
  }
}

/** Policy names become metric labels and tag values: keep them plain. */
const NAME = /^[a-z0-9][a-z0-9_.-]{0,62}$/;

const POLICY_KEYS: Record<SamplePolicySettings['type'], readonly string[]> = {
  keep_all: ['type', 'name'],
  error: ['type', 'name'],
  debug: ['type', 'name'],
  slow: ['type', 'name', 'thresholdMs', 'quantile', 'interval', 'minSamples'],
  shape: ['type', 'name', 'perInterval', 'interval'],
  probabilistic: ['type', 'name', 'rate'],
  rate_limit: ['type', 'name', 'perSecond', 'service'],
};

/**
 * Traces a root needs before its learned quantile is trusted, when the config does not say: enough
 * that about 10 of them lie above it (200 for 0.95, 1000 for 0.99). Fewer, and a few outliers that
 * happen to come early are the quantile themselves: at 50 traces a 0.95 quantile is the third
 * longest, so three slow traces among a root's first 50 set the threshold at their own duration and
 * the next slow trace is not above it (seen in the sampling regression: 4 of a root's first 16
 * traces were slow outliers, and one of them was dropped when decided after 50 others).
 */
export function defaultMinSamples(quantile: number): number {
  // Rounded first: 10 / (1 - 0.95) is 199.99999999999997 in binary floating point.
  return Math.ceil(Math.round((10 / (1 - quantile)) * 1e6) / 1e6);
}

function policy(raw: unknown, r: Reader, at: string): SamplePolicySettings | undefined {
  if (!isObj(raw)) {
    r.error(at, 'must be a mapping with a `type`');
    return undefined;
  }
  const sub = new Reader(r.at(at));
  const type = raw.type;
  if (typeof type !== 'string' || !Object.hasOwn(POLICY_KEYS, type)) {
    sub.error('type', `must be one of ${Object.keys(POLICY_KEYS).join(', ')}, got ${JSON.stringify(type)}`);
    r.problems.push(...sub.problems);
    return undefined;
  }
  const t = type as SamplePolicySettings['type'];
  sub.only(raw, POLICY_KEYS[t]);
  const name = sub.string(raw, 'name', false) ?? t;
  if (!NAME.test(name)) sub.error('name', `must be lower-case letters, digits, '_', '.' or '-', got ${JSON.stringify(name)}`);
  let out: SamplePolicySettings | undefined;
  switch (t) {
    case 'keep_all':
    case 'error':
    case 'debug':
      out = { type: t, name };
      break;
    case 'slow': {
      const thresholdMs = sub.number(raw, 'thresholdMs', 0, Number.MAX_SAFE_INTEGER, false);
      const quantile = sub.number(raw, 'quantile', 0.5, 0.9999, false) ?? 0.99;
      out = {
        type: t,
        name,
        quantile,
        intervalMs: sub.duration(raw, 'interval', 300_000),
        minSamples: sub.number(raw, 'minSamples', 1, 1_000_000, false) ?? defaultMinSamples(quantile),
        ...(thresholdMs !== undefined ? { thresholdMs } : {}),
      };
      break;
    }
    case 'shape':
      out = {
        type: t,
        name,
        perInterval: sub.number(raw, 'perInterval', 1, 1_000_000, false) ?? 1,
        intervalMs: sub.duration(raw, 'interval', 60_000),
      };
      break;
    case 'probabilistic':
      out = { type: t, name, rate: sub.number(raw, 'rate', 0, 1, true) ?? 0 };
      break;
    case 'rate_limit': {
      const service = sub.string(raw, 'service', false);
      out = {
        type: t,
        name,
        perSecond: sub.number(raw, 'perSecond', 0.001, 1_000_000, true) ?? 1,
        ...(service !== undefined ? { service: service.toLowerCase() } : {}),
      };
      break;
    }
  }
  r.problems.push(...sub.problems);
  return out;
}

const MATCH_KEYS = ['exact', 'prefix', 'regex'] as const;

function stringMatch(raw: unknown, r: Reader, at: string, allowPresent: boolean, extra: readonly string[] = []): StringMatch | undefined {
  if (typeof raw === 'string') return { exact: raw };
  if (!isObj(raw)) {
    r.error(at, 'must be a string (exact match) or a mapping with one of exact, prefix, regex');
    return undefined;
  }
  const known = [...MATCH_KEYS, ...(allowPresent ? ['present'] : []), ...extra];
  for (const k of Object.keys(raw)) if (!known.includes(k)) r.error(`${at}.${k}`, `unknown key (known: ${known.join(', ')})`);
  const given = MATCH_KEYS.filter((k) => raw[k] !== undefined);
  if (given.length > 1) r.error(at, `give one of exact, prefix, regex, not ${given.join(' and ')}`);
  const out: StringMatch = {};
  for (const k of given) {
    const v = raw[k];
    if (typeof v !== 'string') {
      r.error(`${at}.${k}`, 'must be a string');
      continue;
    }
    if (k === 'regex') {
      try {
        new RegExp(v);
      } catch (e) {
        r.error(`${at}.regex`, `is not a valid regular expression: ${(e as Error).message}`);
        continue;
      }
    }
    out[k] = v;
  }
  if (allowPresent && raw.present !== undefined) {
    if (raw.present !== true) r.error(`${at}.present`, 'can only be true');
    else out.present = true;
  }
  if (given.length === 0 && out.present === undefined)
    r.error(at, allowPresent ? 'give one of exact, prefix, regex, present' : 'give one of exact, prefix, regex');
  return out;
}

const RULE_KEYS = ['name', 'action', 'service', 'remoteService', 'spanName', 'kind', 'tag', 'annotation', 'minDuration', 'maxDuration'];
const KINDS = ['CLIENT', 'SERVER', 'PRODUCER', 'CONSUMER', 'NONE'] as const;

function filterRule(raw: unknown, r: Reader, at: string, index: number): FilterRuleSettings | undefined {
  if (!isObj(raw)) {
    r.error(at, 'must be a mapping');
    return undefined;
  }
  for (const k of Object.keys(raw)) if (!RULE_KEYS.includes(k)) r.error(`${at}.${k}`, `unknown key (known: ${RULE_KEYS.join(', ')})`);
  const action = raw.action;
  if (action !== 'include' && action !== 'exclude') r.error(`${at}.action`, `must be include or exclude, got ${JSON.stringify(action)}`);
  const name = typeof raw.name === 'string' && raw.name !== '' ? raw.name : `rule_${index}`;
  if (!NAME.test(name)) r.error(`${at}.name`, `must be lower-case letters, digits, '_', '.' or '-', got ${JSON.stringify(name)}`);
  const rule: FilterRuleSettings = { name, action: action === 'include' ? 'include' : 'exclude' };
  let fields = 0;
  for (const key of ['service', 'remoteService', 'spanName', 'annotation'] as const) {
    if (raw[key] === undefined) continue;
    const m = stringMatch(raw[key], r, `${at}.${key}`, false);
    if (m) rule[key] = m;
    fields++;
  }
  if (raw.tag !== undefined) {
    fields++;
    if (!isObj(raw.tag) || typeof raw.tag.key !== 'string' || raw.tag.key === '') r.error(`${at}.tag.key`, 'required: the tag key');
    else {
      const m = stringMatch(raw.tag, r, `${at}.tag`, true, ['key']);
      if (m) rule.tag = { ...m, key: raw.tag.key };
    }
  }
  if (raw.kind !== undefined) {
    fields++;
    const list = Array.isArray(raw.kind) ? raw.kind : [raw.kind];
    const kinds: FilterRuleSettings['kind'] = [];
    for (const k of list) {
      const up = typeof k === 'string' ? k.toUpperCase() : '';
      if ((KINDS as readonly string[]).includes(up)) kinds.push(up as (typeof KINDS)[number]);
      else r.error(`${at}.kind`, `must be among ${KINDS.join(', ')}, got ${JSON.stringify(k)}`);
    }
    rule.kind = kinds;
  }
  for (const [key, field] of [
    ['minDuration', 'minDurationMs'],
    ['maxDuration', 'maxDurationMs'],
  ] as const) {
    if (raw[key] === undefined) continue;
    fields++;
    const ms = parseDurationMs(raw[key]);
    if (ms === null) r.error(`${at}.${key}`, `must be a duration such as 250ms or 2s, got ${JSON.stringify(raw[key])}`);
    else rule[field] = ms;
  }
  if (fields === 0)
    r.error(at, 'matches nothing: give at least one of service, remoteService, spanName, kind, tag, annotation, minDuration, maxDuration');
  return rule;
}

/** The same validators, one list item at a time, for the schema's records options (src/config/records.ts). */
function itemValidator<R>(read: (raw: unknown, r: Reader, index: number) => R | undefined): ItemValidator<R> {
  return (item) => {
    const r = new Reader('');
    const index = Number(/^\[(\d+)\]$/.exec(item.path)?.[1] ?? 0);
    const value = read(item.value, r, index);
    for (const p of r.problems) item.problem(p.path === '' ? undefined : p.path.replace(/^\./, ''), p.message);
    return value;
  };
}

export const samplePolicyItem: ItemValidator<SamplePolicySettings> = itemValidator((raw, r) => policy(raw, r, ''));
export const filterRuleItem: ItemValidator<FilterRuleSettings> = itemValidator((raw, r, index) => filterRule(raw, r, '', index));

/** Names must be distinct within a list: they are metric labels (and, for policies, the tag value). */
export function duplicateNames(list: ReadonlyArray<{ name: string }>, key: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  list.forEach((x, i) => {
    if (seen.has(x.name)) out.push(`${key}[${i}].name: "${x.name}" is used by an earlier entry; give each a distinct name`);
    seen.add(x.name);
  });
  return out;
}

/** One `check.rules` item: a span-level or trace-level rule with its action and parameters. */
export type CheckRule =
  | SpanRuleSettings
  | { rule: 'duplicate_span_id'; action: 'drop' | 'quarantine' }
  | { rule: 'mixed_trace_id'; action: 'fix' | 'drop' | 'quarantine' };

const RULE_PARAMS: Record<string, readonly string[]> = {
  missing_timestamp: [],
  bad_duration: ['maxDuration'],
  timestamp_skew: ['maxFuture', 'maxPast'],
  long_name: ['maxLength'],
  long_tag: ['maxLength', 'maxValueLength'],
  placeholder_service: ['names'],
  duplicate_span_id: [],
  mixed_trace_id: [],
};

function checkRule(raw: unknown, r: Reader): CheckRule | undefined {
  if (!isObj(raw)) {
    r.error('', 'must be a mapping with `rule` and `action`');
    return undefined;
  }
  const name = raw.rule;
  if (typeof name !== 'string' || !Object.hasOwn(RULE_PARAMS, name)) {
    r.error('rule', `must be one of ${Object.keys(RULE_PARAMS).join(', ')}, got ${JSON.stringify(name)}`);
    return undefined;
  }
  r.only(raw, ['rule', 'action', ...(RULE_PARAMS[name] as readonly string[])]);
  const allowed =
    name === 'duplicate_span_id'
      ? ['drop', 'quarantine']
      : NO_FIX_RULES.includes(name as SpanRuleName)
        ? ['drop', 'quarantine']
        : ['fix', 'drop', 'quarantine'];
  const action = raw.action;
  if (typeof action !== 'string' || !allowed.includes(action)) {
    const why = allowed.includes('fix') ? '' : ` (${name} has no fix: nothing says what the right value is)`;
    r.error('action', `must be one of ${allowed.join(', ')}, got ${JSON.stringify(action)}${why}`);
    return undefined;
  }
  if (name === 'duplicate_span_id') return { rule: name, action: action as 'drop' | 'quarantine' };
  if (name === 'mixed_trace_id') return { rule: name, action: action as 'fix' | 'drop' | 'quarantine' };
  const out: SpanRuleSettings = { rule: name as SpanRuleName, action: action as SpanRuleSettings['action'] };
  if (raw.maxDuration !== undefined) out.maxDurationMs = r.duration(raw, 'maxDuration', 86_400_000);
  if (raw.maxFuture !== undefined) out.maxFutureMs = r.duration(raw, 'maxFuture', 3_600_000);
  if (raw.maxPast !== undefined) out.maxPastMs = r.duration(raw, 'maxPast', 604_800_000);
  const maxLength = r.number(raw, 'maxLength', 1, 1_000_000, false);
  if (maxLength !== undefined) out.maxLength = maxLength;
  const maxValueLength = r.number(raw, 'maxValueLength', 1, 10_000_000, false);
  if (maxValueLength !== undefined) out.maxValueLength = maxValueLength;
  if (raw.names !== undefined) {
    if (!Array.isArray(raw.names) || raw.names.some((n) => typeof n !== 'string')) r.error('names', 'must be a list of service names');
    else out.names = raw.names as string[];
  }
  return out;
}

export const checkRuleItem: ItemValidator<CheckRule> = itemValidator((raw, r) => checkRule(raw, r));

/** `check.rules` split into what the two checkers take: span-level rules in order, trace-level actions. */
export function checkSettingsOf(rules: readonly CheckRule[]): { check: CheckSettings; traceCheck: TraceCheckSettings } {
  const traceCheck: TraceCheckSettings = { ...TRACE_CHECK_DEFAULTS };
  const spanRules: SpanRuleSettings[] = [];
  for (const rule of rules) {
    if (rule.rule === 'duplicate_span_id') traceCheck.duplicateSpanId = rule.action;
    else if (rule.rule === 'mixed_trace_id') traceCheck.mixedTraceId = rule.action;
    else if ((SPAN_RULES as readonly string[]).includes(rule.rule))
      spanRules.push({ ...rule, ...(rule.names ? { names: [...rule.names] } : {}) });
  }
  return { check: { rules: spanRules }, traceCheck };
}

/** A rule given twice would be ambiguous (which action wins?). */
export function duplicateRules(list: readonly CheckRule[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  list.forEach((x, i) => {
    if (seen.has(x.rule)) out.push(`check.rules[${i}].rule: ${x.rule} is configured by an earlier entry; give each rule once`);
    seen.add(x.rule);
  });
  return out;
}
