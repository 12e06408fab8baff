/**
 * Every command's flags go through the one schema: the flags bench, decode, encode and produce had
 * with their own parsers keep working (long names, short letters, command-only spellings), and
 * options a command would not honour are refused with a clear error.
 */
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import { dir, errors, hasError, load, ok } from './load-helpers.js';

describe('bench', () => {
  test('the harness flags: --quick, --only, --update-readme, --zipkin-heap, …', () => {
    const { config } = ok(
      load('bench', [
        '--quick',
        '--only',
        'pipeline,micro',
        '--update-readme',
        '--zipkin-heap',
        '2g',
        '--spans',
        '5000',
        '--encoding',
        'proto3',
        '--spans-per-message',
        '3',
        '--e2e-spans-per-message',
        '1,100',
        '--runs',
        '2',
        '--workers-max',
        '2',
        '--out',
        'res',
      ]),
    );
    assert.deepEqual(config.bench, {
      quick: true,
      only: ['pipeline', 'micro'],
      spans: 5_000,
      encoding: 'proto3',
      spansPerMessage: 3,
      e2eSpansPerMessage: [1, 100],
      runs: 2,
      workersMax: 2,
      zipkinHeap: '2g',
      out: resolve(dir, 'res'),
      updateReadme: true,
    });
  });

  test('defaults: every phase, json-v2, 10 spans a message, workers up to the cores', () => {
    const { config } = ok(load('bench', []));
    assert.deepEqual(config.bench.only, [
      'micro',
      'pipeline',
      'stages',
      'e2e',
      'zipkin',
      'replay',
      'ceiling',
      'sampling',
      'memory',
      'ship',
    ]);
    assert.equal(config.bench.encoding, 'json-v2');
    assert.equal(config.bench.spansPerMessage, 10);
    assert.equal(config.bench.zipkinHeap, '1g,2g');
    assert.equal(config.bench.workersMax, Math.min(64, availableParallelism()));
    assert.equal(config.bench.out, undefined);
  });

  test('bad values are all reported; pipeline options the harness does not read are refused', () => {
    assert.deepEqual(errors(load('bench', ['--only', 'micro,nope', '--zipkin-heap', '2G', '--window-quiet-ms', '5ms', 'stray'])), [
      '--window-quiet-ms: not an option of tracefold bench (it applies to tracefold ingest, tracefold replay)',
      'tracefold bench takes no arguments, got "stray"',
      'bench.only: unknown phase(s) nope (known: micro, pipeline, stages, e2e, zipkin, replay, ceiling, sampling, memory, ship) (flag --only)',
      'bench.zipkinHeap: must look like 512m or 1g,2g (flag --zipkin-heap)',
    ]);
  });
});

describe('decode, encode', () => {
  test('decode --pretty and a FILE', () => {
    const r = ok(load('decode', ['--pretty', 'm.bin']));
    assert.equal(r.config.decode.pretty, true);
    assert.deepEqual(r.args, ['m.bin']);
  });

  test('encode: -f/--format (required), -o/--out, getopt-style short values', () => {
    for (const argv of [
      ['-f', 'thrift', '-o', 'out.bin', 'in.json'],
      ['--format', 'thrift', '--out=out.bin', 'in.json'],
      ['-fthrift', '-o=out.bin', 'in.json'],
    ]) {
      const r = ok(load('encode', argv));
      assert.equal(r.config.encode.format, 'thrift', argv.join(' '));
      assert.equal(r.config.encode.out, resolve(dir, 'out.bin'));
      assert.deepEqual(r.args, ['in.json']);
    }
    assert.deepEqual(errors(load('encode', ['-f', 'xml', 'a', 'b'])), [
      'tracefold encode takes at most 1 FILE, got "a" "b"',
      'encode.format: expected one of json-v2, json-v1, thrift, proto3, got "xml" (flag -f)',
    ]);
    assert.match(errors(load('encode', []))[0]!, /^encode\.format is required for tracefold encode \(--encode-format, --format, /);
  });
});

describe('produce', () => {
  test('its flags: -t/--topic, -f, -n, -b/--bootstrap-servers, --partitions, --shift-to-now', () => {
    const r = ok(
      load('produce', [
        '-t',
        'demo',
        '-f',
        'json-v1',
        '-n',
        '5',
        '-b',
        'k:9092',
        '--partitions',
        '6',
        '--shift-to-now',
        'a.json',
        'b.json',
      ]),
    );
    assert.deepEqual(r.config.kafka.topic, ['demo']);
    assert.equal(r.config.kafka.bootstrapServers, 'k:9092');
    assert.deepEqual(r.config.produce, { format: 'json-v1', spansPerMessage: 5, partitions: 6, headers: [], shiftToNow: true });
    assert.deepEqual(r.args, ['a.json', 'b.json']);
    assert.equal(ok(load('produce', ['--topic', 'd', '--bootstrap-servers', 'x:1', 'f'])).config.kafka.bootstrapServers, 'x:1');
    // As before, KAFKA_BOOTSTRAP_SERVERS is the default broker list.
    assert.equal(ok(load('produce', ['--topic', 'd', 'f'], { KAFKA_BOOTSTRAP_SERVERS: 'e:9' })).config.kafka.bootstrapServers, 'e:9');
  });

  test('a topic and a FILE are required; one topic only', () => {
    assert.deepEqual(errors(load('produce', [])), [
      'tracefold produce needs at least 1 FILE',
      'kafka.topic is required for tracefold produce (--topic, -t)',
    ]);
    assert.deepEqual(errors(load('produce', ['-t', 'a,b', 'f'])), ['kafka.topic (flag -t): tracefold produce writes to exactly one topic']);
  });

  test("produce's own spelling is no flag of ingest: the nearest ingest flag is suggested", () => {
    assert.match(errors(load('ingest', ['--bootstrap-servers', 'x']))[0]!, /did you mean --kafka-bootstrap-servers\?/);
    assert.match(errors(load('ingest', ['-t', 'x']))[0]!, /^-t: unknown option for tracefold ingest/);
  });
});

describe('options honoured or refused', () => {
  test('replay serves no admin endpoint: --admin-enabled/host/port are refused, the sink-down delay is kept', () => {
    const list = errors(load('replay', ['--from=0', '--to=1', '--admin-port', '9000', '--admin-host=::', '--no-admin-enabled']));
    assert.deepEqual(list, [
      '--admin-port: not an option of tracefold replay (it applies to tracefold ingest, tracefold ship)',
      '--admin-host: not an option of tracefold replay (it applies to tracefold ingest, tracefold ship)',
      '--no-admin-enabled: not an option of tracefold replay (it applies to tracefold ingest, tracefold ship)',
    ]);
    assert.equal(ok(load('replay', ['--from=0', '--to=1', '--admin-sink-down-after-ms', '2m'])).config.admin.sinkDownAfterMs, 120_000);
  });

  test('replay reads exactly one topic, reported with the other errors', () => {
    assert.deepEqual(errors(load('replay', ['--from=0', '--to=1', '--topic', 'a,b', '--workers', '0'])), [
      'workers: expected an integer from 1 to 64, got "0" (flag --workers)',
      'kafka.topic (flag --topic): tracefold replay reads exactly one topic',
    ]);
  });

  test('window.quietMs 0 is refused at validation, naming the option and the minimum', () => {
    for (const command of ['ingest', 'replay'] as const) {
      const list = errors(load(command, ['--from=0', '--to=1', '--window-quiet-ms', '0'].slice(command === 'replay' ? 0 : 2)));
      assert.deepEqual(list, [
        'window.quietMs: must be at least 1ms: 0 would flush every trace at once, before its other spans arrive (flag --window-quiet-ms)',
      ]);
    }
    assert.equal(ok(load('ingest', ['--window-quiet-ms', '1ms'])).config.window.quietMs, 1);
  });

  test('--log-pretty and --log-level apply to every command', () => {
    for (const command of ['ingest', 'bench', 'decode'] as const) {
      const r = ok(load(command, ['--log-pretty', '--log-level', 'warn']));
      assert.deepEqual(r.config.log, { level: 'warn', pretty: true });
    }
  });
});

describe('flags (general)', () => {
  test('--k v, --k=v, --flag, --no-flag, --flag=false', () => {
    const { config } = ok(
      load('ingest', ['--workers', '3', '--kafka-group-id=g', '--http-enabled', '--no-es-ensure-templates', '--es-refresh=false']),
    );
    assert.equal(config.workers, 3);
    assert.equal(config.kafka.groupId, 'g');
    assert.equal(config.http.enabled, true);
    assert.equal(config.es.ensureTemplates, false);
    assert.equal(config.es.refresh, false);
  });

  test('repeated list flags add items; other repeated flags: the last wins', () => {
    const { config } = ok(load('ingest', ['--topic', 'a', '--kafka-topic', 'b,c', '--workers', '2', '--workers', '5']));
    assert.deepEqual(config.kafka.topic, ['a', 'b', 'c']);
    assert.equal(config.workers, 5);
  });

  test('repeatable map entry flags keep commas in values', () => {
    const { config } = ok(
      load('ingest', ['--kafka-property', 'sasl.kerberos.kinit.cmd=kinit -R,-t x', '--drop-tag', 'http.path=/health', '--drop-tag', 'k=*']),
    );
    assert.deepEqual(config.kafka.librdkafka, { 'sasl.kerberos.kinit.cmd': 'kinit -R,-t x' });
    assert.deepEqual(config.filter.dropTags, { 'http.path': '/health', k: '*' });
  });

  test('positional arguments are returned for commands that take files, refused by others; -- ends options', () => {
    const r = ok(load('decode', ['a.bin', '--log-level=debug', '--', '--not-a-flag']));
    assert.deepEqual(r.args, ['a.bin', '--not-a-flag']);
    hasError(errors(load('ingest', ['stray'])), /tracefold ingest takes no arguments, got "stray"/);
  });

  test('unknown flag: error with the nearest flag of the command', () => {
    assert.deepEqual(errors(load('ingest', ['--kafka-topics', 'x'])), [
      '--kafka-topics: unknown option for tracefold ingest; did you mean --kafka-topic?',
    ]);
    hasError(errors(load('ingest', ['--bootstrap-servers', 'x'])), /did you mean --kafka-bootstrap-servers\?/);
    hasError(errors(load('ingest', ['-x'])), /^-x: unknown option/);
  });

  test("another command's flag: error naming where it applies, and its value is not a stray argument", () => {
    const list = errors(load('ingest', ['--from', '5']));
    assert.deepEqual(list, ['--from: not an option of tracefold ingest (it applies to tracefold replay)']);
  });

  test('a value flag without a value, and --no- with a value', () => {
    hasError(errors(load('ingest', ['--workers'])), /^--workers: needs a value/);
    hasError(errors(load('ingest', ['--topic', '--workers', '2'])), /^--topic: needs a value/);
    hasError(errors(load('ingest', ['--no-http-enabled=true'])), /takes no value/);
    hasError(errors(load('ingest', ['--config'])), /needs a file path/);
  });

  test('--help and -h return the help text whatever else is wrong', () => {
    for (const argv of [['--help'], ['-h', '--bogus', 'stray']]) {
      const r = load('replay', argv);
      assert.ok(!r.ok && r.help !== undefined);
      assert.match(r.help, /^Usage: tracefold replay/);
      assert.deepEqual(r.errors, []);
    }
  });

  test('an empty value is refused for a string option but kept for es.dateSeparator', () => {
    hasError(errors(load('ingest', ['--es-index='])), /es\.index: must not be empty \(flag --es-index\)/);
    assert.equal(ok(load('ingest', ['--es-date-separator='])).config.es.dateSeparator, '');
  });
});
