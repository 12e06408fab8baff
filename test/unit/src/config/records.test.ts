/**
 * The records option kind (lists of structured items, groundwork for trace-level rules), through
 * the one option that uses it, produce.headers, and through ItemReader directly.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { helpFor } from '../../../../src/config/help.js';
import { loadConfig } from '../../../../src/config/load.js';
import { type ItemReader, type Problem, parseRecords, Structured } from '../../../../src/config/records.js';

const dir = mkdtempSync(join(tmpdir(), 'tracefold-records-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function yaml(text: string): string {
  const path = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, text);
  return path;
}

const produce = (argv: string[], env: Record<string, string> = {}) =>
  loadConfig({ command: 'produce', argv: ['--topic=t', 'spans.json', ...argv], env, cwd: dir });

describe('records options', () => {
  test('a YAML sequence of mappings loads as typed records; numbers in a string field read as text', () => {
    const file = yaml(
      'produce:\n  headers:\n    - name: b3\n      value: "1"\n    - { name: port, value: 8080 }\n    - { name: empty, value: "" }\n',
    );
    const r = produce(['--config', file]);
    assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
    assert.deepEqual(r.config.produce.headers, [
      { name: 'b3', value: '1' },
      { name: 'port', value: '8080' },
      { name: 'empty', value: '' },
    ]);
  });

  test('every bad item is reported, each with its path and the file line, together with other errors', () => {
    const file = yaml(
      [
        'produce:',
        '  format: xml',
        '  headers:',
        '    - { name: ok, value: v }',
        '    - { value: v }',
        '    - nonsense',
        '    - { name: "", value: v, vaule: w }',
      ].join('\n'),
    );
    const r = produce(['--config', file]);
    assert.ok(!r.ok);
    assert.deepEqual(r.errors, [
      `produce.format: expected one of json-v2, json-v1, thrift, proto3, got "xml" (${file}:2)`,
      `produce.headers[1].name: required (${file}:3)`,
      `produce.headers[2]: expected a mapping (name, value), got "nonsense" (${file}:3)`,
      `produce.headers[3].vaule: unknown field; did you mean value? (known: name, value) (${file}:3)`,
      `produce.headers[3].name: expected a non-empty string, got "" (${file}:3)`,
    ]);
  });

  test('from the environment or a flag: a JSON array; bad JSON and non-lists say what was expected', () => {
    const env = produce([], { TRACEFOLD_PRODUCE_HEADERS: '[{"name":"a","value":"b"}]' });
    assert.ok(env.ok);
    assert.deepEqual(env.config.produce.headers, [{ name: 'a', value: 'b' }]);
    const flag = produce(['--headers', '[{"name":"c","value":"d"}]'], { TRACEFOLD_PRODUCE_HEADERS: '[]' });
    assert.ok(flag.ok);
    assert.deepEqual(flag.config.produce.headers, [{ name: 'c', value: 'd' }]);

    const bad = produce(['--headers', '{"name":"c"}']);
    assert.ok(!bad.ok);
    assert.deepEqual(bad.errors, ['produce.headers: expected a list of records, got a mapping (flag --headers)']);
    const broken = produce([], { TRACEFOLD_PRODUCE_HEADERS: '[{name}]' });
    assert.ok(!broken.ok);
    assert.match(broken.errors[0]!, /^produce\.headers: expected a JSON array of records \(.+\) \(env TRACEFOLD_PRODUCE_HEADERS\)$/);
  });

  test('help shows the JSON form and the default', () => {
    const text = helpFor('produce');
    assert.match(text, /--produce-headers, --headers <json: \[header,\.\.\.\]>/);
    assert.match(text, /default: \(none\) · env: TRACEFOLD_PRODUCE_HEADERS · file: produce\.headers/);
  });
});

describe('ItemReader', () => {
  interface Rule {
    readonly action: 'fix' | 'drop' | 'quarantine';
    readonly rate: number;
    readonly enabled: boolean;
    readonly note: string | undefined;
  }
  const rule = (item: ItemReader): Rule | undefined => {
    if (!item.fields(['action', 'rate', 'enabled', 'note'])) return undefined;
    const action = item.oneOf('action', ['fix', 'drop', 'quarantine'] as const);
    const rate = item.number('rate', 0, 1);
    const enabled = item.bool('enabled', { optional: true }) ?? true;
    const note = item.string('note', { optional: true });
    return action === undefined || rate === undefined ? undefined : { action, rate, enabled, note };
  };

  test('a validator reads every field and reports each problem, then the list keeps going', () => {
    const parsed = parseRecords(
      new Structured([
        { action: 'DROP', rate: 0.5 },
        { action: 'keep', rate: 2, enabled: 'maybe' },
        { rate: '0.25', enabled: 'false', note: 'n' },
      ]),
      rule,
    );
    assert.ok(!parsed.ok);
    assert.deepEqual(
      parsed.problems.map((p: Problem) => `${p.path}: ${p.message}`),
      [
        '[1].action: must be one of fix, drop, quarantine, got "keep"',
        '[1].rate: expected a number from 0 to 1, got 2',
        '[1].enabled: expected true or false, got "maybe"',
        '[2].action: required',
      ],
    );
  });

  test('all good: the typed records, in order', () => {
    const parsed = parseRecords('[{"action":"fix","rate":1},{"action":"quarantine","rate":"0","enabled":false}]', rule);
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.value, [
      { action: 'fix', rate: 1, enabled: true, note: undefined },
      { action: 'quarantine', rate: 0, enabled: false, note: undefined },
    ]);
  });
});
