import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Span } from '../../../../core/model/span.js';
import { FIXED_TAG, SpanChecker } from '../../../../workers/check/span.js';
import type { SpanRuleSettings } from '../../../../workers/protocol.js';
import { sharedTraces } from '../../../helpers/traffic.js';

const NOW = 1_700_000_000_000;
const ctx = { recordTimeMs: NOW - 5000, nowMs: NOW };

function span(over: Partial<Span> = {}): Span {
  return {
    traceId: '0000000000000001',
    id: '0000000000000002',
    name: 'get /',
    timestamp: NOW * 1000,
    duration: 1000,
    localEndpoint: { serviceName: 'front' },
    ...over,
  };
}

function run(rules: SpanRuleSettings[], s: Span): { verdict: ReturnType<SpanChecker['check']>; fixed: string[]; span: Span } {
  const fixed: string[] = [];
  const verdict = new SpanChecker({ rules }).check(s, ctx, (r) => fixed.push(r));
  return { verdict, fixed, span: s };
}

describe('SpanChecker', () => {
  it('with no rule is inactive and leaves every shared real span untouched', () => {
    const c = new SpanChecker({ rules: [] });
    assert.equal(c.active, false);
    for (const t of sharedTraces()) {
      for (const s of t.spans) {
        const before = JSON.stringify(s);
        assert.deepEqual(
          c.check(s, ctx, () => assert.fail('nothing is fixed')),
          { action: 'keep' },
        );
        assert.equal(JSON.stringify(s), before);
      }
    }
  });

  it('missing_timestamp: fix from the earliest annotation, else the record time; drop and quarantine name the rule', () => {
    const a = run(
      [{ rule: 'missing_timestamp', action: 'fix' }],
      span({
        timestamp: undefined,
        annotations: [
          { timestamp: 20, value: 'sr' },
          { timestamp: 10, value: 'cs' },
        ],
      }),
    );
    assert.equal(a.span.timestamp, 10);
    assert.deepEqual(a.fixed, ['missing_timestamp']);
    assert.equal(a.span.tags?.[FIXED_TAG], 'missing_timestamp');
    const b = run([{ rule: 'missing_timestamp', action: 'fix' }], span({ timestamp: undefined }));
    assert.equal(b.span.timestamp, (NOW - 5000) * 1000);
    const c = run([{ rule: 'missing_timestamp', action: 'quarantine' }], span({ timestamp: undefined }));
    assert.deepEqual(c.verdict, { action: 'quarantine', rule: 'missing_timestamp', reason: 'span has no timestamp' });
    assert.equal(run([{ rule: 'missing_timestamp', action: 'drop' }], span()).verdict.action, 'keep');
  });

  it('bad_duration: above the maximum is removed (fix) or rejected', () => {
    const a = run([{ rule: 'bad_duration', action: 'fix', maxDurationMs: 1000 }], span({ duration: 2_000_000 }));
    assert.equal(a.span.duration, undefined);
    assert.equal(a.span.tags?.[FIXED_TAG], 'bad_duration');
    assert.equal(run([{ rule: 'bad_duration', action: 'drop' }], span({ duration: 25 * 3600 * 1e6 })).verdict.action, 'drop');
    assert.equal(run([{ rule: 'bad_duration', action: 'drop' }], span({ duration: 3600 * 1e6 })).verdict.action, 'keep');
  });

  it('timestamp_skew: too far ahead or behind the clock', () => {
    const rules: SpanRuleSettings[] = [{ rule: 'timestamp_skew', action: 'drop', maxFutureMs: 60_000, maxPastMs: 3_600_000 }];
    assert.equal(run(rules, span({ timestamp: (NOW + 120_000) * 1000 })).verdict.action, 'drop');
    assert.equal(run(rules, span({ timestamp: (NOW - 7_200_000) * 1000 })).verdict.action, 'drop');
    assert.equal(run(rules, span({ timestamp: (NOW - 60_000) * 1000 })).verdict.action, 'keep');
  });

  it('long_name and long_tag truncate, several fixes are listed in one tag in rule order', () => {
    const s = span({ name: 'x'.repeat(20), tags: { ['k'.repeat(20)]: 'v', ok: 'y'.repeat(30), [FIXED_TAG]: 'earlier' } });
    const r = run(
      [
        { rule: 'long_name', action: 'fix', maxLength: 10 },
        { rule: 'long_tag', action: 'fix', maxLength: 16, maxValueLength: 16 },
      ],
      s,
    );
    assert.equal(r.span.name, 'x'.repeat(10));
    assert.equal(r.span.tags?.['k'.repeat(16)], 'v');
    assert.equal(r.span.tags?.ok, 'y'.repeat(16));
    assert.equal(r.span.tags?.[FIXED_TAG], 'earlier,long_name,long_tag');
    assert.deepEqual(r.fixed, ['long_name', 'long_tag']);
  });

  it('placeholder_service: empty or placeholder local service names', () => {
    const rules: SpanRuleSettings[] = [{ rule: 'placeholder_service', action: 'quarantine' }];
    assert.equal(run(rules, span({ localEndpoint: { serviceName: 'unknown' } })).verdict.action, 'quarantine');
    assert.equal(run(rules, span({ localEndpoint: undefined })).verdict.action, 'quarantine');
    assert.equal(run(rules, span()).verdict.action, 'keep');
    assert.equal(
      run([{ rule: 'placeholder_service', action: 'drop', names: ['tbd'] }], span({ localEndpoint: { serviceName: 'tbd' } })).verdict
        .action,
      'drop',
    );
  });

  it('the first rejecting rule ends the check; fixes before it still happened', () => {
    const r = run(
      [
        { rule: 'long_name', action: 'fix', maxLength: 3 },
        { rule: 'placeholder_service', action: 'drop' },
      ],
      span({ localEndpoint: { serviceName: 'unknown' } }),
    );
    assert.equal(r.verdict.action, 'drop');
    assert.deepEqual(r.fixed, ['long_name']);
  });
});
