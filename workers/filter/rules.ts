/**
 * The filter stage: keep or drop single spans by rules, before they are assembled. Stateless;
 * the caller counts every drop under the name of the rule that decided it.
 *
 * Order: the legacy drop lists (`dropServices`, `dropSpanNames`, `dropTags`, labels `service`,
 * `span_name`, `tag`), then include rules (when any exist, a span must match one of them, else it
 * is dropped as `not_included`), then exclude rules in order. A rule matches when every field it
 * gives matches (AND). Names are compared as normalisation leaves them (lower-cased services and
 * span names), so patterns are lower-cased too, except regular expressions, which get the `i` flag.
 */
import type { Annotation, Span } from '../../core/model/span.js';
import type { FilterRuleSettings, StringMatch, WorkerSettings } from '../protocol.js';

type Matcher = (s: string) => boolean;

function stringMatcher(m: StringMatch, lower: boolean): Matcher {
  if (m.exact !== undefined) {
    const v = lower ? m.exact.toLowerCase() : m.exact;
    return (s) => s === v;
  }
  if (m.prefix !== undefined) {
    const v = lower ? m.prefix.toLowerCase() : m.prefix;
    return (s) => s.startsWith(v);
  }
  if (m.regex !== undefined) {
    const re = new RegExp(m.regex, lower ? 'i' : '');
    return (s) => re.test(s);
  }
  return () => true;
}

type SpanTest = (span: Span) => boolean;

function annotationTest(match: Matcher): SpanTest {
  return (span) => {
    const list: Annotation[] | undefined = span.annotations;
    if (list === undefined) return false;
    for (const a of list) if (match(a.value)) return true;
    return false;
  };
}

/** One rule as a list of tests, all of which must pass. */
function compile(rule: FilterRuleSettings): SpanTest[] {
  const tests: SpanTest[] = [];
  if (rule.service !== undefined) {
    const m = stringMatcher(rule.service, true);
    tests.push((s) => m(s.localEndpoint?.serviceName ?? ''));
  }
  if (rule.remoteService !== undefined) {
    const m = stringMatcher(rule.remoteService, true);
    tests.push((s) => m(s.remoteEndpoint?.serviceName ?? ''));
  }
  if (rule.spanName !== undefined) {
    const m = stringMatcher(rule.spanName, true);
    tests.push((s) => m(s.name ?? ''));
  }
  if (rule.kind !== undefined) {
    const kinds = new Set<string>(rule.kind);
    tests.push((s) => kinds.has(s.kind ?? 'NONE'));
  }
  if (rule.tag !== undefined) {
    const key = rule.tag.key;
    const valueGiven = rule.tag.exact !== undefined || rule.tag.prefix !== undefined || rule.tag.regex !== undefined;
    const m = stringMatcher(rule.tag, false);
    tests.push((s) => {
      const v = s.tags?.[key];
      return v !== undefined && (!valueGiven || m(v));
    });
  }
  if (rule.annotation !== undefined) tests.push(annotationTest(stringMatcher(rule.annotation, false)));
  if (rule.minDurationMs !== undefined) {
    const min = rule.minDurationMs * 1000;
    tests.push((s) => s.duration !== undefined && s.duration >= min);
  }
  if (rule.maxDurationMs !== undefined) {
    const max = rule.maxDurationMs * 1000;
    tests.push((s) => s.duration !== undefined && s.duration <= max);
  }
  return tests;
}

interface CompiledRule {
  name: string;
  tests: SpanTest[];
}

function matches(rule: CompiledRule, span: Span): boolean {
  for (const t of rule.tests) if (!t(span)) return false;
  return true;
}

export const NOT_INCLUDED = 'not_included';

export class SpanFilter {
  private readonly services: ReadonlySet<string>;
  private readonly names: ReadonlySet<string>;
  private readonly tags: ReadonlyArray<[string, string]>;
  private readonly includes: CompiledRule[];
  private readonly excludes: CompiledRule[];
  readonly active: boolean;

  constructor(settings: WorkerSettings['filter']) {
    this.services = new Set(settings.dropServices.map((s) => s.toLowerCase()));
    this.names = new Set(settings.dropSpanNames.map((s) => s.toLowerCase()));
    this.tags = Object.entries(settings.dropTags);
    const rules = settings.rules ?? [];
    this.includes = rules.filter((r) => r.action === 'include').map((r) => ({ name: r.name, tests: compile(r) }));
    this.excludes = rules.filter((r) => r.action === 'exclude').map((r) => ({ name: r.name, tests: compile(r) }));
    this.active = this.services.size + this.names.size + this.tags.length + rules.length > 0;
  }

  /** The name of the rule that drops the span, or null to keep it. */
  match(span: Span): string | null {
    if (!this.active) return null;
    const svc = span.localEndpoint?.serviceName;
    if (svc !== undefined && this.services.has(svc)) return 'service';
    if (span.name !== undefined && this.names.has(span.name)) return 'span_name';
    const tags = span.tags;
    if (tags !== undefined) {
      for (const [k, v] of this.tags) {
        const actual = tags[k];
        if (actual !== undefined && (v === '*' || v === actual)) return 'tag';
      }
    }
    if (this.includes.length > 0) {
      let included = false;
      for (const r of this.includes) {
        if (matches(r, span)) {
          included = true;
          break;
        }
      }
      if (!included) return NOT_INCLUDED;
    }
    for (const r of this.excludes) if (matches(r, span)) return r.name;
    return null;
  }
}
