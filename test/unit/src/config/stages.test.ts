import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkFilterRules, checkSample, checkTraceRules, parseDurationMs } from '../../../../src/config/stages.js';

describe('config: sample', () => {
  it('absent means keep-all, no policy', () => {
    assert.deepEqual(checkSample(undefined), { value: { policies: [], tagKept: true }, errors: [] });
  });

  it('reads every policy type with defaults and durations', () => {
    const { value, errors } = checkSample({
      tagKept: false,
      policies: [
        { type: 'error' },
        { type: 'debug', name: 'dbg' },
        { type: 'slow', quantile: 0.95, interval: '5m', minSamples: 50 },
        { type: 'slow', name: 'very-slow', thresholdMs: 2000 },
        { type: 'shape', perInterval: 2, interval: '30s' },
        { type: 'probabilistic', rate: 0.01 },
        { type: 'rate_limit', perSecond: 5, service: 'Front' },
      ],
    });
    assert.deepEqual(errors, []);
    assert.equal(value.tagKept, false);
    assert.deepEqual(value.policies, [
      { type: 'error', name: 'error' },
      { type: 'debug', name: 'dbg' },
      { type: 'slow', name: 'slow', quantile: 0.95, intervalMs: 300_000, minSamples: 50 },
      { type: 'slow', name: 'very-slow', quantile: 0.99, intervalMs: 300_000, minSamples: 100, thresholdMs: 2000 },
      { type: 'shape', name: 'shape', perInterval: 2, intervalMs: 30_000 },
      { type: 'probabilistic', name: 'probabilistic', rate: 0.01 },
      { type: 'rate_limit', name: 'rate_limit', perSecond: 5, service: 'front' },
    ]);
  });

  it('reports every problem at once, each with its path', () => {
    const { errors } = checkSample({
      policies: [
        { type: 'eror' },
        { type: 'probabilistic' },
        { type: 'probabilistic', rate: 2, colour: 'red' },
        { type: 'shape', interval: 'soon' },
        { type: 'error' },
      ],
      extra: 1,
    });
    assert.deepEqual(
      errors.sort(),
      [
        'sample.extra: unknown key (known: policies, tagKept)',
        'sample.policies[0].type: must be one of keep_all, error, debug, slow, shape, probabilistic, rate_limit, got "eror"',
        'sample.policies[1].rate: required',
        'sample.policies[2].colour: unknown key (known: type, name, rate)',
        'sample.policies[2].name: "probabilistic" is used by an earlier policy; give each a distinct name',
        'sample.policies[2].rate: must be a number from 0 to 1, got 2',
        'sample.policies[3].interval: must be a positive duration such as 500ms, 30s or 5m, got "soon"',
      ].sort(),
    );
  });
});

describe('config: filter rules', () => {
  it('reads include and exclude rules with every kind of match', () => {
    const { value, errors } = checkFilterRules([
      { name: 'health', action: 'exclude', spanName: { prefix: 'GET /health' } },
      { action: 'include', service: 'shop', kind: ['server', 'CLIENT'], tag: { key: 'http.path', regex: '^/api' }, minDuration: '10ms' },
      { action: 'exclude', annotation: { exact: 'retry' }, maxDuration: 1 },
      { action: 'exclude', tag: { key: 'debug', present: true } },
    ]);
    assert.deepEqual(errors, []);
    assert.deepEqual(value, [
      { name: 'health', action: 'exclude', spanName: { prefix: 'GET /health' } },
      {
        name: 'rule_1',
        action: 'include',
        service: { exact: 'shop' },
        tag: { regex: '^/api', key: 'http.path' },
        kind: ['SERVER', 'CLIENT'],
        minDurationMs: 10,
      },
      { name: 'rule_2', action: 'exclude', annotation: { exact: 'retry' }, maxDurationMs: 1 },
      { name: 'rule_3', action: 'exclude', tag: { present: true, key: 'debug' } },
    ]);
  });

  it('rejects bad rules with their path', () => {
    const { errors } = checkFilterRules([
      { action: 'drop', service: 'x' },
      { action: 'exclude' },
      { action: 'exclude', service: { regex: '(' } },
      { action: 'exclude', tag: { regex: 'x' } },
      { action: 'exclude', kind: 'SOMETIMES', spanName: { exact: 'a', prefix: 'b' } },
    ]);
    assert.equal(errors.length, 6, errors.join('\n'));
    assert.ok(errors.includes('filter.rules[0].action: must be include or exclude, got "drop"'));
    assert.ok(errors.some((e) => e.startsWith('filter.rules[1]: matches nothing')));
    assert.ok(errors.some((e) => e.startsWith('filter.rules[2].service.regex: is not a valid regular expression')));
    assert.ok(errors.includes('filter.rules[3].tag.key: required: the tag key'));
    assert.ok(errors.includes('filter.rules[4].kind: must be among CLIENT, SERVER, PRODUCER, CONSUMER, NONE, got "SOMETIMES"'));
    assert.ok(errors.includes('filter.rules[4].spanName: give one of exact, prefix, regex, not exact and prefix'));
  });
});

describe('config: trace-level check rules', () => {
  it('are off unless set, and take only their own actions', () => {
    assert.deepEqual(checkTraceRules(undefined).value, { duplicateSpanId: 'off', mixedTraceId: 'off' });
    assert.deepEqual(checkTraceRules({ mixed_trace_id: { action: 'fix' }, duplicate_span_id: { action: 'quarantine' } }).value, {
      duplicateSpanId: 'quarantine',
      mixedTraceId: 'fix',
    });
    assert.deepEqual(checkTraceRules({ duplicate_span_id: { action: 'fix' } }).errors, [
      'check.rules.duplicate_span_id.action: must be one of off, drop, quarantine, got "fix"',
    ]);
  });
});

describe('durations', () => {
  it('parse with units or as milliseconds', () => {
    assert.equal(parseDurationMs('250ms'), 250);
    assert.equal(parseDurationMs('1.5s'), 1500);
    assert.equal(parseDurationMs('5m'), 300_000);
    assert.equal(parseDurationMs(20), 20);
    assert.equal(parseDurationMs('later'), null);
  });
});
