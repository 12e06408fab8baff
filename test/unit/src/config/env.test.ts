/** The environment layer (src/config/env.ts), through loadConfig. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KEYS, optionDef } from '../../../../src/config/schema.js';
import { type Env, errors, hasError, load, ok } from './load-helpers.js';

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
    const { warnings } = ok(
      load('ingest', [], {
        TRACEFOLD_ES_HOST: 'x',
        TRACEFOLD_CACHE: '/c',
        TRACEFOLD_RUN_DIR: '/r',
        TRACEFOLD_SEARCH: 'opensearch',
        TRACEFOLD_SAMPLES: '/s',
      }),
    );
    assert.deepEqual(warnings, ['TRACEFOLD_ES_HOST is not a tracefold setting and is ignored; did you mean TRACEFOLD_ES_HOSTS?']);
  });

  test('Zipkin variables without an equivalent warn when they would change behaviour', () => {
    const { warnings } = ok(load('ingest', [], { COLLECTOR_SAMPLE_RATE: '0.1', STORAGE_TYPE: 'elasticsearch', ES_SSL_NO_VERIFY: 'true' }));
    hasError(warnings, /COLLECTOR_SAMPLE_RATE=0\.1 is ignored/, /ES_SSL_NO_VERIFY/);
    assert.equal(warnings.length, 2, warnings.join('\n'));
    assert.deepEqual(ok(load('ingest', [], { COLLECTOR_SAMPLE_RATE: '1.0' })).warnings, []);
  });
});
