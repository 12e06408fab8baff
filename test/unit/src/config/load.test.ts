import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { redactConfig } from '../../../../src/config/load.js';
import { isCommandSection, KEYS, optionDef, sectionOf } from '../../../../src/config/schema.js';
import { dir, errors, hasError, load, ok, yaml } from './load-helpers.js';

describe('defaults', () => {
  test('every option with a default has it when nothing is set', () => {
    const { config } = ok(load('replay', ['--from=earliest', '--to=latest']));
    // A command's own section (bench.*, produce.*, …) exists only in that command's config.
    const own: Record<string, unknown> = {
      replay: config,
      bench: ok(load('bench')).config,
      decode: ok(load('decode')).config,
      encode: ok(load('encode', ['--format=thrift'])).config,
      produce: ok(load('produce', ['--topic=t', 'spans.json'])).config,
      ship: ok(load('ship', ['--topic=t', '--path=x/*.log'])).config,
    };
    for (const key of KEYS) {
      const def = optionDef(key);
      const section = sectionOf(key);
      const from = isCommandSection(section) ? own[section] : config;
      const value = key.split('.').reduce<unknown>((n, p) => (n as Record<string, unknown>)[p], from);
      if (def.default !== undefined) assert.deepEqual(value, def.default, key);
      if (def.optional === true) assert.equal(value, undefined, key);
    }
  });

  test('computed: dead-letter topic from the first topic, workers from the machine, a fresh replay group', () => {
    const a = ok(load('ingest', ['--topic', 'spans,more'])).config;
    assert.equal(a.kafka.deadLetterTopic, 'spans.dead-letter');
    assert.equal(a.workers, Math.min(64, availableParallelism()));
    const r1 = ok(load('replay', ['--from=0', '--to=10'])).config.replay.group;
    const r2 = ok(load('replay', ['--from=0', '--to=10'])).config.replay.group;
    assert.match(r1, /^tracefold-replay-[0-9a-f]{8}$/);
    assert.notEqual(r1, r2);
  });

  test('the config is deeply frozen, and replay options exist only for replay', () => {
    const { config } = ok(load('ingest'));
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.kafka) && Object.isFrozen(config.kafka.topic));
    assert.equal('replay' in config, false);
  });
});

describe('precedence: defaults < file < env < flags', () => {
  test('each layer overrides the one below for the same key', () => {
    const file = yaml('es:\n  index: fromfile\n');
    assert.equal(ok(load('ingest')).config.es.index, 'zipkin');
    assert.equal(ok(load('ingest', ['--config', file])).config.es.index, 'fromfile');
    assert.equal(ok(load('ingest', ['--config', file], { ES_INDEX: 'fromzipkinenv' })).config.es.index, 'fromzipkinenv');
    assert.equal(ok(load('ingest', ['--config', file], { ES_INDEX: 'z', TRACEFOLD_ES_INDEX: 'fromenv' })).config.es.index, 'fromenv');
    assert.equal(
      ok(load('ingest', ['--config', file, '--es-index', 'fromflag'], { TRACEFOLD_ES_INDEX: 'fromenv' })).config.es.index,
      'fromflag',
    );
  });

  test("tracefold's own variable beats the Zipkin one, with a warning naming both", () => {
    const { config, warnings } = ok(load('ingest', [], { KAFKA_TOPIC: 'a', TRACEFOLD_KAFKA_TOPIC: 'b' }));
    assert.deepEqual(config.kafka.topic, ['b']);
    hasError(warnings, /KAFKA_TOPIC=a is ignored: TRACEFOLD_KAFKA_TOPIC is set too/);
  });

  test('maps merge key by key across layers; lists replace', () => {
    const file = yaml('kafka:\n  librdkafka:\n    security.protocol: SSL\n    fetch.min.bytes: 1\n  topic: [a, b]\n');
    const { config } = ok(
      load('ingest', ['-c', file, '--kafka-property', 'fetch.min.bytes=100', '--topic', 'c'], {
        TRACEFOLD_KAFKA_LIBRDKAFKA: 'socket.keepalive.enable=true',
      }),
    );
    assert.deepEqual(config.kafka.librdkafka, { 'security.protocol': 'SSL', 'fetch.min.bytes': '100', 'socket.keepalive.enable': 'true' });
    assert.deepEqual(config.kafka.topic, ['c']);
  });

  test('the config file can come from TRACEFOLD_CONFIG; --config wins over it', () => {
    const a = yaml('kafka:\n  groupId: from-a\n');
    const b = yaml('kafka:\n  groupId: from-b\n');
    assert.equal(ok(load('ingest', [], { TRACEFOLD_CONFIG: a })).config.kafka.groupId, 'from-a');
    const r = ok(load('ingest', [`--config=${b}`], { TRACEFOLD_CONFIG: a }));
    assert.equal(r.config.kafka.groupId, 'from-b');
    assert.equal((r as { configFile?: string }).configFile, b);
  });
});

describe('all errors at once', () => {
  test('file, environment and flag problems are reported together, none hiding another', () => {
    const file = yaml('kafka:\n  topic: "bad topic"\n  bogus: 1\nes:\n  indexReplicas: many\n');
    const list = errors(load('ingest', ['-c', file, '--workers=0', '--wat', 'stray'], { ES_TIMEOUT: 'x', TRACEFOLD_LOG_LEVEL: 'loud' }));
    hasError(
      list,
      /^--wat: unknown option/,
      /^tracefold ingest takes no arguments/,
      /^kafka\.bogus: unknown key/,
      /^kafka\.topic: topic name "bad topic"/,
      /^es\.indexReplicas: expected an integer/,
      /^es\.timeoutMs: .*env ES_TIMEOUT/,
      /^workers: .*flag --workers/,
      /^log\.level: .*env TRACEFOLD_LOG_LEVEL/,
    );
    assert.equal(list.length, 8, list.join('\n'));
  });

  test('a bad value in a lower layer is still reported when a higher layer overrides it', () => {
    const file = yaml('workers: none\n');
    hasError(errors(load('ingest', ['-c', file, '--workers=2'])), /^workers: .*got "none"/);
  });
});

describe('replay', () => {
  test('--from and --to are required', () => {
    const list = errors(load('replay'));
    hasError(
      list,
      /replay\.from is required for tracefold replay \(--replay-from, --from, TRACEFOLD_REPLAY_FROM/,
      /replay\.to is required/,
    );
  });
  test('from after to is refused', () => {
    hasError(errors(load('replay', ['--from=10', '--to=5'])), /replay\.from .* is after replay\.to/);
    hasError(errors(load('replay', ['--from=2024-05-02', '--to=2024-05-01T00:00:00Z'])), /is after/);
  });
  test('--out selects the file sink, --dry-run the null sink, --es-index-prefix replaces es.index', () => {
    const out = ok(load('replay', ['--from=earliest', '--to=latest', '--out', 'r.ndjson', '--es-index-prefix', 'scratch'])).config;
    assert.equal(out.sink.kind, 'file');
    assert.equal(out.sink.file, join(dir, 'r.ndjson'));
    assert.equal(out.es.index, 'scratch');
    assert.equal(ok(load('replay', ['--from=earliest', '--to=latest', '--dry-run'])).config.sink.kind, 'null');
    hasError(errors(load('replay', ['--from=earliest', '--to=latest', '--dry-run', '--out=x'])), /exclude each other/);
  });
});

describe('secrets', () => {
  test('the password is never in errors or warnings, and redactConfig hides it', () => {
    const r = load('ingest', ['--es-password=hunter2', '--wat'], { ES_PASSWORD: 'other-secret' });
    for (const line of errors(r)) assert.doesNotMatch(line, /hunter2|other-secret/);
    const { config, warnings } = ok(
      load('ingest', ['--es-password=hunter2', '--es-username=u'], { ES_PASSWORD: 'p1', TRACEFOLD_ES_PASSWORD: 'p2' }),
    );
    for (const line of warnings) assert.doesNotMatch(line, /hunter2|p1|p2/);
    hasError(warnings, /given as a flag/, /ES_PASSWORD is ignored: TRACEFOLD_ES_PASSWORD/);
    const redacted = redactConfig(config);
    assert.equal(redacted.es.password, '<redacted>');
    assert.equal(redacted.es.username, 'u');
    assert.equal(config.es.password, 'hunter2');
    assert.doesNotMatch(JSON.stringify(redacted), /hunter2/);
  });
});
