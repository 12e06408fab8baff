import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { type LoadResult, loadConfig, redactConfig } from '../../../../src/config/load.js';
import { type Command, isCommandSection, KEYS, optionDef, sectionOf } from '../../../../src/config/schema.js';

const dir = mkdtempSync(join(tmpdir(), 'tracefold-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** Writes a YAML file and returns its path. */
function yaml(text: string, name = `c${++files}.yaml`): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

type Env = Record<string, string | undefined>;

function load<C extends Command>(command: C, argv: string[] = [], env: Env = {}) {
  return loadConfig({ command, argv, env, cwd: dir });
}

function ok<T>(result: LoadResult<T>): { config: T; warnings: readonly string[]; args: readonly string[] } {
  assert.ok(result.ok, result.ok ? '' : `unexpected errors:\n${result.errors.join('\n')}`);
  return result;
}

function errors(result: LoadResult<unknown>): readonly string[] {
  assert.ok(!result.ok, 'expected the load to fail');
  assert.equal(result.help, undefined);
  return result.errors;
}

function hasError(list: readonly string[], ...patterns: RegExp[]): void {
  for (const p of patterns)
    assert.ok(
      list.some((e) => p.test(e)),
      `no error matches ${p}:\n${list.join('\n')}`,
    );
}

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

describe('flags', () => {
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

describe('environment', () => {
  /** Every Zipkin server variable tracefold reads, with a value and where it must land. */
  const ZIPKIN: readonly (readonly [string, string, (c: Awaited<ReturnType<typeof ingest>>) => unknown, unknown])[] = [
    ['KAFKA_BOOTSTRAP_SERVERS', 'k1:9092,k2:9092', (c) => c.kafka.bootstrapServers, 'k1:9092,k2:9092'],
    ['KAFKA_TOPIC', 'zipkin,zipkin-2', (c) => c.kafka.topic, ['zipkin', 'zipkin-2']],
    ['KAFKA_GROUP_ID', 'zipkin', (c) => c.kafka.groupId, 'zipkin'],
    ['KAFKA_STREAMS', '4', (c) => c.kafka.streams, 4],
    [
      'ES_HOSTS',
      'es1,es2:9201,http://es3:9200,https://es4',
      (c) => c.es.hosts,
      ['http://es1:9200', 'http://es2:9201', 'http://es3:9200', 'https://es4'],
    ],
    ['ES_USERNAME', 'elastic', (c) => c.es.username, 'elastic'],
    ['ES_PASSWORD', 'changeme', (c) => c.es.password, 'changeme'],
    ['ES_INDEX', 'traces', (c) => c.es.index, 'traces'],
    ['ES_DATE_SEPARATOR', '.', (c) => c.es.dateSeparator, '.'],
    ['ES_INDEX_SHARDS', '1', (c) => c.es.indexShards, 1],
    ['ES_INDEX_REPLICAS', '0', (c) => c.es.indexReplicas, 0],
    ['ES_ENSURE_TEMPLATES', 'false', (c) => c.es.ensureTemplates, false],
    ['ES_TEMPLATE_PRIORITY', '10', (c) => c.es.templatePriority, 10],
    ['ES_PIPELINE', 'zipkin-pipe', (c) => c.es.pipeline, 'zipkin-pipe'],
    ['ES_TIMEOUT', '2500', (c) => c.es.timeoutMs, 2_500],
    ['SEARCH_ENABLED', 'false', (c) => c.es.searchEnabled, false],
    ['STRICT_TRACE_ID', 'false', (c) => c.es.strictTraceId, false],
    ['AUTOCOMPLETE_KEYS', 'environment,region', (c) => c.es.autocompleteKeys, ['environment', 'region']],
    ['AUTOCOMPLETE_TTL', '60000', (c) => c.es.autocompleteTtlMs, 60_000],
    ['AUTOCOMPLETE_CARDINALITY', '500', (c) => c.es.autocompleteCardinality, 500],
    ['LOG_LEVEL', 'DEBUG', (c) => c.log.level, 'debug'],
  ];
  function ingest(env: Env) {
    // Basic auth needs both halves; give the other one so each variable is tested alone.
    const pair: Env = env.ES_USERNAME ? { ES_PASSWORD: 'p' } : env.ES_PASSWORD ? { ES_USERNAME: 'u' } : {};
    return ok(load('ingest', [], { ...pair, ...env })).config;
  }

  for (const [name, value, get, expected] of ZIPKIN) {
    test(`Zipkin's ${name}=${value}`, () => {
      assert.deepEqual(get(ingest({ [name]: value })), expected);
    });
  }

  test('the list above covers every Zipkin name in the table', () => {
    const inTable = KEYS.flatMap((k) => optionDef(k).env ?? []).sort();
    assert.deepEqual([...ZIPKIN.map(([n]) => n)].sort(), inTable);
  });

  test('KAFKA_STREAMS is accepted and ignored with a warning', () => {
    const { warnings } = ok(load('ingest', ['--workers=2'], { KAFKA_STREAMS: '4' }));
    hasError(warnings, /kafka\.streams=4 \(env KAFKA_STREAMS\) is ignored: .*workers \(2\)/);
  });

  test('ES_HOSTS port 9300 (native transport) becomes 9200 with a warning, as in Zipkin', () => {
    const { config, warnings } = ok(load('ingest', [], { ES_HOSTS: 'es1:9300' }));
    assert.deepEqual(config.es.hosts, ['http://es1:9200']);
    hasError(warnings, /9300/);
  });

  test('an empty variable is unset (compose files write NAME=), except ES_DATE_SEPARATOR', () => {
    const { config } = ok(load('ingest', [], { ES_INDEX: '', KAFKA_TOPIC: '', ES_DATE_SEPARATOR: '' }));
    assert.equal(config.es.index, 'zipkin');
    assert.deepEqual(config.kafka.topic, ['zipkin']);
    assert.equal(config.es.dateSeparator, '');
  });

  test('bad values name the variable and the expected form', () => {
    hasError(errors(load('ingest', [], { ES_TIMEOUT: 'ten' })), /^es\.timeoutMs: expected a duration .* got "ten" \(env ES_TIMEOUT\)$/);
    hasError(
      errors(load('ingest', [], { TRACEFOLD_WORKERS: '0' })),
      /^workers: expected an integer from 1 to 64, got "0" \(env TRACEFOLD_WORKERS\)$/,
    );
  });

  test('variables of options that do not apply to the command are not read', () => {
    const { config } = ok(load('decode', [], { ES_INDEX_SHARDS: 'many', TRACEFOLD_LOG_LEVEL: 'warn' }));
    assert.equal(config.es.indexShards, 5);
    assert.equal(config.log.level, 'warn');
  });

  test('a misspelt TRACEFOLD_ variable is a warning with a suggestion; the scripts’ own are not', () => {
    const { warnings } = ok(load('ingest', [], { TRACEFOLD_ES_HOST: 'x', TRACEFOLD_CACHE: '/c', TRACEFOLD_RUN_DIR: '/r' }));
    assert.deepEqual(warnings, ['TRACEFOLD_ES_HOST is not a tracefold setting and is ignored; did you mean TRACEFOLD_ES_HOSTS?']);
  });

  test('Zipkin variables without an equivalent warn when they would change behaviour', () => {
    const { warnings } = ok(load('ingest', [], { COLLECTOR_SAMPLE_RATE: '0.1', STORAGE_TYPE: 'elasticsearch', ES_SSL_NO_VERIFY: 'true' }));
    hasError(warnings, /COLLECTOR_SAMPLE_RATE=0\.1 is ignored/, /ES_SSL_NO_VERIFY/);
    assert.equal(warnings.length, 2, warnings.join('\n'));
    assert.deepEqual(ok(load('ingest', [], { COLLECTOR_SAMPLE_RATE: '1.0' })).warnings, []);
  });
});

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

describe('rules across options', () => {
  test('window.quietMs must not exceed window.maxWindowMs', () => {
    hasError(
      errors(load('ingest', ['--window-quiet-ms=1m'])),
      /window\.quietMs \(flag --window-quiet-ms\) must not exceed window\.maxWindowMs \(default\)/,
    );
  });
  test('es.retryInitialMs must not exceed es.retryMaxMs', () => {
    hasError(errors(load('ingest', ['--es-retry-initial-ms=1m'])), /es\.retryInitialMs .* must not exceed es\.retryMaxMs/);
  });
  test('sink.file goes with sink.kind=file, both ways', () => {
    hasError(errors(load('ingest', ['--sink-kind=file'])), /sink\.file is required when sink\.kind/);
    hasError(errors(load('ingest', ['--sink-file=x'])), /sink\.file .* is set but sink\.kind .* is elasticsearch/);
  });
  test('basic auth needs user and password', () => {
    hasError(errors(load('ingest', [], { ES_USERNAME: 'u' })), /es\.password is required when es\.username \(env ES_USERNAME\) is set/);
  });
  test('the dead-letter topic must not be consumed', () => {
    hasError(
      errors(load('ingest', ['--topic=a,a.dead-letter', '--kafka-dead-letter-topic=a.dead-letter'])),
      /must not be one of the consumed topics/,
    );
  });
  test('reserved librdkafka properties name the option to use instead', () => {
    hasError(
      errors(load('ingest', ['--kafka-property', 'group.id=x'])),
      /kafka\.librdkafka: group\.id cannot be set here: set kafka\.groupId/,
    );
  });
  test('HTTP collector and admin endpoint cannot share a port', () => {
    hasError(errors(load('ingest', ['--http-enabled', '--http-port=9464'])), /http\.port .* and admin\.port .* are the same port/);
    ok(load('ingest', ['--http-enabled', '--http-port=0', '--admin-port=0']));
  });
  test('rules skip options that are already invalid (no follow-on errors)', () => {
    assert.equal(errors(load('ingest', ['--window-quiet-ms=x', '--window-max-window-ms=1s'])).length, 1);
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
