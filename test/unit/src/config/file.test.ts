/** The YAML file layer (src/config/file.ts), through loadConfig. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { dir, errors, hasError, load, ok, yaml } from './load-helpers.js';

describe('YAML file', () => {
  test('nested keys, lists, maps, durations, sizes; numbers keep their text for strings', () => {
    const file = yaml(
      [
        'kafka:',
        '  topic: [a, b]',
        '  commitIntervalMs: 2s',
        '  librdkafka: { fetch.min.bytes: 1024, "security.protocol": SASL_SSL }',
        'es:',
        '  hosts:',
        '    - es1',
        '    - https://es2:9243',
        '  username: u',
        '  password: 0123',
        '  indexShards: 3',
        'window:',
        '  maxBufferedBytesPerWorker: 64MiB',
        'workers: 2',
        'filter:',
        '  dropTags: "a=1,b=2"',
      ].join('\n'),
    );
    const { config } = ok(load('ingest', ['--config', file]));
    assert.deepEqual(config.kafka.topic, ['a', 'b']);
    assert.equal(config.kafka.commitIntervalMs, 2_000);
    assert.deepEqual(config.kafka.librdkafka, { 'fetch.min.bytes': '1024', 'security.protocol': 'SASL_SSL' });
    assert.deepEqual(config.es.hosts, ['http://es1:9200', 'https://es2:9243']);
    assert.equal(config.es.password, '0123');
    assert.equal(config.es.indexShards, 3);
    assert.equal(config.window.maxBufferedBytesPerWorker, 64 * 2 ** 20);
    assert.equal(config.workers, 2);
    assert.deepEqual(config.filter.dropTags, { a: '1', b: '2' });
  });

  test('an empty file, an empty section and `key:` with no value leave defaults', () => {
    assert.equal(ok(load('ingest', ['-c', yaml('')])).config.es.index, 'zipkin');
    assert.equal(ok(load('ingest', ['-c', yaml('es:\nkafka:\n  topic:\n')])).config.kafka.topic[0], 'zipkin');
  });

  test('anchors and aliases resolve', () => {
    const { config } = ok(load('ingest', ['-c', yaml('kafka:\n  groupId: &g shared\nreplay:\n  group: *g\n')]));
    assert.equal(config.kafka.groupId, 'shared');
  });

  test('unknown keys anywhere: error with file, line and the nearest valid key', () => {
    const file = yaml(['kafka:', '  topc: zipkin', 'es:', '  hosts: x', '  topic: y', 'kafak:', '  groupId: g', 'wokers: 4'].join('\n'));
    const list = errors(load('ingest', ['-c', file]));
    assert.deepEqual(list, [
      `kafka.topc: unknown key in ${file}:2; did you mean kafka.topic?`,
      `es.topic: unknown key in ${file}:5; did you mean kafka.topic?`,
      `kafak: unknown key in ${file}:6; did you mean kafka?`,
      `wokers: unknown key in ${file}:8; did you mean workers?`,
    ]);
  });

  test('dotted keys are refused in favour of the nested form', () => {
    const file = yaml('kafka.topic: a\n');
    assert.deepEqual(errors(load('ingest', ['-c', file])), [`kafka.topic: write options nested, as kafka: { topic: … } (${file}:1)`]);
  });

  test('a section that is not a mapping, and a leaf given a mapping', () => {
    const file = yaml('kafka: zipkin\nes:\n  index: { a: b }\n');
    const list = errors(load('ingest', ['-c', file]));
    hasError(
      list,
      new RegExp(`^kafka: expected a mapping of kafka\\.\\* options \\(${file}:1\\)`),
      new RegExp(`^es\\.index: expected a single value, got a mapping \\(${file}:3\\)`),
    );
  });

  test('wrong types name the key, the file and line, and the expected form', () => {
    const file = yaml('es:\n  indexShards: lots\nwindow:\n  quietMs: soon\n');
    assert.deepEqual(errors(load('ingest', ['-c', file])), [
      `es.indexShards: expected an integer from 1 to 1024, got "lots" (${file}:2)`,
      `window.quietMs: expected a duration at least 0ms such as 250ms, 5s, 1m, 1h or plain milliseconds, got "soon" (${file}:4)`,
    ]);
  });

  test('invalid YAML, duplicate keys, a non-mapping document and a missing file', () => {
    hasError(errors(load('ingest', ['-c', yaml('kafka:\n  topic: [a\n')])), /invalid YAML/);
    hasError(errors(load('ingest', ['-c', yaml('es:\n  index: a\n  index: b\n')])), /:3: invalid YAML: .*unique/i);
    hasError(errors(load('ingest', ['-c', yaml('- a\n- b\n')])), /must be a mapping of options/);
    hasError(errors(load('ingest', ['-c', join(dir, 'nope.yaml')])), /nope\.yaml: cannot read the config file \(no such file\)/);
  });

  test('options of other commands are allowed in the file (one file serves every command)', () => {
    const file = yaml('replay:\n  commit: true\nhttp:\n  enabled: true\n');
    assert.equal(ok(load('decode', ['-c', file])).config.log.level, 'info');
  });

  test('paths in the file are relative to the file; from flags, to cwd', () => {
    const file = yaml('sink:\n  kind: file\n  file: out/spans.ndjson\n', 'sub/conf.yaml');
    assert.equal(ok(load('ingest', ['-c', file])).config.sink.file, join(dir, 'sub', 'out', 'spans.ndjson'));
    assert.equal(ok(load('ingest', ['--sink-kind=file', '--sink-file=x.ndjson'])).config.sink.file, join(dir, 'x.ndjson'));
  });
});
