/** The structured stage options (src/config/stages.ts), read from a config file through loadConfig as users write them. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDurationMs } from '../../../../src/config/stages.js';
import { errors, load, ok, yaml } from './load-helpers.js';

/** A config file holding `sections` (JSON is YAML). */
const file = (sections: Record<string, unknown>): string => yaml(JSON.stringify(sections));

describe('config: sample', () => {
  it('absent means keep-all, no policy', () => {
    const { config } = ok(load('ingest'));
    assert.deepEqual(config.sample.policies, []);
    assert.equal(config.sample.tagKept, true);
  });

  it('reads every policy type with defaults and durations', () => {
    const { config } = ok(
      load('ingest', [
        '-c',
        file({
          sample: {
            tagKept: false,
            policies: [
              { type: 'error' },
              { type: 'debug', name: 'dbg' },
              { type: 'slow', quantile: 0.95, interval: '5m', minSamples: 50 },
              { type: 'slow', name: 'very-slow', thresholdMs: 2000 },
              { type: 'slow', name: 'p90', quantile: 0.9 },
              { type: 'shape', perInterval: 2, interval: '30s' },
              { type: 'probabilistic', rate: 0.01 },
              { type: 'rate_limit', perSecond: 5, service: 'Front' },
            ],
          },
        }),
      ]),
    );
    assert.equal(config.sample.tagKept, false);
    assert.deepEqual(config.sample.policies, [
      { type: 'error', name: 'error' },
      { type: 'debug', name: 'dbg' },
      { type: 'slow', name: 'slow', quantile: 0.95, intervalMs: 300_000, minSamples: 50 },
      // minSamples defaults to enough traces for about 10 above the quantile.
      { type: 'slow', name: 'very-slow', quantile: 0.99, intervalMs: 300_000, minSamples: 1000, thresholdMs: 2000 },
      { type: 'slow', name: 'p90', quantile: 0.9, intervalMs: 300_000, minSamples: 100 },
      { type: 'shape', name: 'shape', perInterval: 2, intervalMs: 30_000 },
      { type: 'probabilistic', name: 'probabilistic', rate: 0.01 },
      { type: 'rate_limit', name: 'rate_limit', perSecond: 5, service: 'front' },
    ]);
  });

  it('reports every problem at once, each with its path', () => {
    const list = errors(
      load('ingest', [
        '-c',
        file({
          sample: {
            policies: [
              { type: 'eror' },
              { type: 'probabilistic' },
              { type: 'probabilistic', rate: 2, colour: 'red' },
              { type: 'shape', interval: 'soon' },
              { type: 'error' },
              { type: 'probabilistic', rate: 0.5 },
            ],
          },
        }),
      ]),
    );
    const expected = [
      'sample.policies[0].type: must be one of keep_all, error, debug, slow, shape, probabilistic, rate_limit, got "eror"',
      'sample.policies[1].rate: required',
      'sample.policies[2].colour: unknown key (known: type, name, rate)',
      'sample.policies[2].rate: must be a number from 0 to 1, got 2',
      'sample.policies[3].interval: must be a positive duration such as 500ms, 30s or 5m, got "soon"',
    ];
    for (const e of expected)
      assert.ok(
        list.some((l) => l.startsWith(e)),
        `missing "${e}" in:\n${list.join('\n')}`,
      );
    assert.equal(list.length, expected.length, list.join('\n'));
    // Names must be distinct: checked once every policy reads well.
    const dup = errors(load('ingest', ['-c', file({ sample: { policies: [{ type: 'error' }, { type: 'error' }] } })]));
    assert.ok(
      dup.some((l) => l.startsWith('sample.policies[1].name: "error" is used by an earlier entry')),
      dup.join('\n'),
    );
  });
});

describe('config: filter rules', () => {
  it('reads include and exclude rules with every kind of match', () => {
    const { config } = ok(
      load('ingest', [
        '-c',
        file({
          filter: {
            rules: [
              { name: 'health', action: 'exclude', spanName: { prefix: 'GET /health' } },
              {
                action: 'include',
                service: 'shop',
                kind: ['server', 'CLIENT'],
                tag: { key: 'http.path', regex: '^/api' },
                minDuration: '10ms',
              },
              { action: 'exclude', annotation: { exact: 'retry' }, maxDuration: 1 },
              { action: 'exclude', tag: { key: 'debug', present: true } },
            ],
          },
        }),
      ]),
    );
    assert.deepEqual(config.filter.rules, [
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
    const list = errors(
      load('ingest', [
        '-c',
        file({
          filter: {
            rules: [
              { action: 'drop', service: 'x' },
              { action: 'exclude' },
              { action: 'exclude', service: { regex: '(' } },
              { action: 'exclude', tag: { regex: 'x' } },
              { action: 'exclude', kind: 'SOMETIMES', spanName: { exact: 'a', prefix: 'b' } },
            ],
          },
        }),
      ]),
    );
    assert.equal(list.length, 6, list.join('\n'));
    const has = (prefix: string): void =>
      assert.ok(
        list.some((l) => l.startsWith(prefix)),
        `missing "${prefix}" in:\n${list.join('\n')}`,
      );
    has('filter.rules[0].action: must be include or exclude, got "drop"');
    has('filter.rules[1]: matches nothing');
    has('filter.rules[2].service.regex: is not a valid regular expression');
    has('filter.rules[3].tag.key: required: the tag key');
    has('filter.rules[4].kind: must be among CLIENT, SERVER, PRODUCER, CONSUMER, NONE, got "SOMETIMES"');
    has('filter.rules[4].spanName: give one of exact, prefix, regex, not exact and prefix');
  });
});

describe('config: trace-level check rules', () => {
  it('are off unless set, and take only their own actions', () => {
    assert.deepEqual(ok(load('ingest')).config.check.rules, []);
    const { config } = ok(
      load('ingest', [
        '-c',
        file({
          check: {
            rules: [
              { rule: 'mixed_trace_id', action: 'fix' },
              { rule: 'duplicate_span_id', action: 'quarantine' },
            ],
          },
        }),
      ]),
    );
    assert.deepEqual(config.check.rules, [
      { rule: 'mixed_trace_id', action: 'fix' },
      { rule: 'duplicate_span_id', action: 'quarantine' },
    ]);
    const list = errors(load('ingest', ['-c', file({ check: { rules: [{ rule: 'duplicate_span_id', action: 'fix' }] } })]));
    assert.ok(
      list.some((l) => l.startsWith('check.rules[0].action: must be one of drop, quarantine, got "fix"')),
      list.join('\n'),
    );
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
