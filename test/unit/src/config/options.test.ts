/**
 * One test per option, generated from the table: every option must have a sample here, so adding an
 * option without saying how it is set and what a bad value looks like fails this file.
 */
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig } from '../../../../src/config/load.js';
import { type Command, flagName, KEYS, type Key, optionDef } from '../../../../src/config/schema.js';

interface Sample {
  /** Flag value that must be accepted. */
  readonly good: string;
  /** Where it must land (dotted key path of the loaded config). */
  readonly expect: unknown;
  /** Flag value that must be refused with an error naming the key; omitted where every text is valid. */
  readonly bad?: string;
  /** Other flags the sample needs to form a valid config. */
  readonly with?: readonly string[];
}

const CWD = '/tmp/tracefold-options-test';

const SAMPLES: { readonly [K in Key]: Sample } = {
  'kafka.bootstrapServers': { good: 'k1:9092,k2:9092', expect: 'k1:9092,k2:9092', bad: '' },
  'kafka.topic': { good: 'a,b', expect: ['a', 'b'], bad: 'bad topic' },
  'kafka.groupId': { good: 'g1', expect: 'g1', bad: '' },
  'kafka.groupInstanceId': { good: 'node-1', expect: 'node-1', bad: 'node 1' },
  'kafka.clientId': { good: 'c1', expect: 'c1', bad: '' },
  'kafka.deadLetterTopic': { good: 'dlq', expect: 'dlq', bad: 'zipkin' },
  'kafka.rekeyTopic': { good: 'spans-by-trace', expect: 'spans-by-trace', bad: 'zipkin' },
  'kafka.rekeyPartitions': { good: '24', expect: 24, bad: '0' },
  'kafka.autoOffsetReset': { good: 'latest', expect: 'latest', bad: 'newest' },
  'kafka.commitIntervalMs': { good: '1s', expect: 1_000, bad: '10ms' },
  'kafka.batchMaxMessages': { good: '1000', expect: 1_000, bad: '0' },
  'kafka.batchMaxBytes': { good: '2MiB', expect: 2 * 2 ** 20, bad: '10' },
  'kafka.fetchWaitMs': { good: '50ms', expect: 50, bad: '2m' },
  'kafka.librdkafka': { good: 'security.protocol=SSL', expect: { 'security.protocol': 'SSL' }, bad: 'enable.auto.commit=true' },
  'kafka.topicEncodings': { good: 'otel=otlp-proto', expect: { otel: 'otlp-proto' }, bad: 'otel=otlp-xml' },
  'kafka.streams': { good: '2', expect: 2, bad: '0' },
  'es.hosts': { good: 'es1,https://es2:9243', expect: ['http://es1:9200', 'https://es2:9243'], bad: 'http://' },
  'es.username': { good: 'elastic', expect: 'elastic', bad: '', with: ['--es-password=x'] },
  'es.password': { good: 's3cret', expect: 's3cret', bad: '', with: ['--es-username=u'] },
  'es.apiKey': { good: 'aWQ6a2V5', expect: 'aWQ6a2V5', bad: '' },
  'es.tlsCaFile': { good: 'ca.pem', expect: resolve(CWD, 'ca.pem'), bad: '' },
  'es.tlsCertFile': { good: 'c.pem', expect: resolve(CWD, 'c.pem'), bad: '' },
  'es.tlsKeyFile': { good: 'k.pem', expect: resolve(CWD, 'k.pem'), bad: '' },
  'es.tlsVerify': { good: 'false', expect: false, bad: 'maybe' },
  'es.index': { good: 'traces', expect: 'traces', bad: 'Traces' },
  'es.dateSeparator': { good: '.', expect: '.', bad: '--' },
  'es.indexShards': { good: '3', expect: 3, bad: '0' },
  'es.indexReplicas': { good: '0', expect: 0, bad: '-1' },
  'es.ensureTemplates': { good: 'false', expect: false, bad: 'perhaps' },
  'es.templatePriority': { good: '100', expect: 100, bad: 'high' },
  'es.pipeline': { good: 'p1', expect: 'p1', bad: '' },
  'es.timeoutMs': { good: '2s', expect: 2_000, bad: '1ms' },
  'es.bulkAdaptive': { good: 'true', expect: true, bad: 'x' },
  'es.bulkMaxBytes': { good: '10MiB', expect: 10 * 2 ** 20, bad: '2GiB' },
  'es.bulkMaxInFlight': { good: '4', expect: 4, bad: '0' },
  'es.searchEnabled': { good: 'false', expect: false, bad: 'x' },
  'es.strictTraceId': { good: 'false', expect: false, bad: 'x' },
  'es.autocompleteKeys': { good: 'env,region', expect: ['env', 'region'] },
  'es.autocompleteTtlMs': { good: '10m', expect: 600_000, bad: 'soon' },
  'es.autocompleteCardinality': { good: '500', expect: 500, bad: '0' },
  'es.retryInitialMs': { good: '200ms', expect: 200, bad: '0' },
  'es.retryMaxMs': { good: '1m', expect: 60_000, bad: '0' },
  'es.retryMaxAttempts': { good: '3', expect: 3, bad: '0' },
  'es.refresh': { good: 'true', expect: true, bad: 'x' },
  'sink.kind': { good: 'null', expect: 'null', bad: 'kafka' },
  'sink.file': { good: 'out.ndjson', expect: resolve(CWD, 'out.ndjson'), bad: '', with: ['--sink-kind=file'] },
  'window.quietMs': { good: '1s', expect: 1_000, bad: '-1s' },
  'window.rootlessQuietMs': { good: '20s', expect: 20_000, bad: '-1s' },
  'window.partitionSkewMs': { good: '10s', expect: 10_000, bad: 'soon' },
  'window.maxWindowMs': { good: '1m', expect: 60_000, bad: '0' },
  'window.maxSpansPerTrace': { good: '500', expect: 500, bad: '0' },
  'window.maxBufferedBytesPerWorker': { good: '64MiB', expect: 64 * 2 ** 20, bad: '1KiB' },
  'window.lateDecisionTtlMs': { good: '2m', expect: 120_000, bad: 'x' },
  'window.lateDecisionCacheSize': { good: '10', expect: 10, bad: '-1' },
  'filter.dropServices': { good: 'health,noise', expect: ['health', 'noise'] },
  'filter.dropSpanNames': { good: 'get /health', expect: ['get /health'] },
  'filter.dropTags': { good: 'http.path=/health,k=*', expect: { 'http.path': '/health', k: '*' }, bad: 'novalue' },
  'filter.rules': {
    good: '[{"name":"health","action":"exclude","spanName":{"prefix":"get /health"}}]',
    expect: [{ name: 'health', action: 'exclude', spanName: { prefix: 'get /health' } }],
    bad: '[{"action":"drop","service":"x"}]',
  },
  'sample.policies': {
    good: '[{"type":"error"},{"type":"probabilistic","rate":0.1}]',
    expect: [
      { type: 'error', name: 'error' },
      { type: 'probabilistic', name: 'probabilistic', rate: 0.1 },
    ],
    bad: '[{"type":"probabilistic","rate":3}]',
  },
  'sample.tagKept': { good: 'false', expect: false, bad: 'maybe' },
  'dependencies.enabled': { good: 'false', expect: false, bad: 'maybe' },
  'check.rules': {
    good: '[{"rule":"long_name","action":"fix","maxLength":100},{"rule":"mixed_trace_id","action":"fix"}]',
    expect: [
      { rule: 'long_name', action: 'fix', maxLength: 100 },
      { rule: 'mixed_trace_id', action: 'fix' },
    ],
    bad: '[{"rule":"placeholder_service","action":"fix"}]',
  },
  stage: { good: 'assemble', expect: 'assemble', bad: 'both' },
  workers: { good: '3', expect: 3, bad: '65' },
  shutdownTimeoutMs: { good: '10s', expect: 10_000, bad: 'x' },
  maxMessageBytes: { good: '1MiB', expect: 2 ** 20, bad: '1' },
  'backpressure.maxOutstandingBytes': { good: '1GiB', expect: 2 ** 30, bad: '1KiB' },
  'backpressure.maxOutstandingMessages': { good: '1000', expect: 1_000, bad: '0' },
  'backpressure.lowWaterRatio': { good: '0.25', expect: 0.25, bad: '1.5' },
  'http.enabled': { good: 'true', expect: true, bad: 'x' },
  'http.host': { good: '0.0.0.0', expect: '0.0.0.0', bad: '' },
  'http.port': { good: '0', expect: 0, bad: '70000' },
  'http.maxBodyBytes': { good: '1MiB', expect: 2 ** 20, bad: '1' },
  'admin.enabled': { good: 'false', expect: false, bad: 'x' },
  'admin.host': { good: '::', expect: '::', bad: '' },
  'admin.port': { good: '9000', expect: 9_000, bad: 'port' },
  'admin.sinkDownAfterMs': { good: '2m', expect: 120_000, bad: '10ms' },
  'log.level': { good: 'DEBUG', expect: 'debug', bad: 'verbose' },
  'log.pretty': { good: 'true', expect: true, bad: 'x' },
  'replay.from': { good: '100', expect: { kind: 'offset', offset: 100 }, bad: 'yesterday' },
  'replay.to': { good: '2024-05-01T00:00:00Z', expect: { kind: 'time', timestampMs: Date.UTC(2024, 4, 1) }, bad: 'earliest' },
  'replay.partitions': { good: '0,3', expect: [0, 3], bad: '1,x' },
  'replay.group': { good: 'rg', expect: 'rg', bad: '' },
  'replay.commit': { good: 'true', expect: true, bad: 'x' },
  'replay.dryRun': { good: 'true', expect: true, bad: 'x' },
  'replay.json': { good: 'true', expect: true, bad: 'x' },
  'replay.out': { good: 'r.ndjson', expect: resolve(CWD, 'r.ndjson'), bad: '' },
  'replay.esIndexPrefix': { good: 'scratch', expect: 'scratch', bad: 'a*b' },
  'bench.quick': { good: 'true', expect: true, bad: 'x' },
  'bench.only': { good: 'pipeline,micro', expect: ['pipeline', 'micro'], bad: 'micro,nope' },
  'bench.spans': { good: '1000', expect: 1_000, bad: '0' },
  'bench.encoding': { good: 'thrift', expect: 'thrift', bad: 'xml' },
  'bench.spansPerMessage': { good: '5', expect: 5, bad: '0' },
  'bench.e2eSpansPerMessage': { good: '1,10,100', expect: [1, 10, 100], bad: '0' },
  'bench.runs': { good: '2', expect: 2, bad: '0' },
  'bench.workersMax': { good: '4', expect: 4, bad: '65' },
  'bench.zipkinHeap': { good: '1g,2g', expect: '1g,2g', bad: '2G' },
  'bench.out': { good: 'res', expect: resolve(CWD, 'res'), bad: '' },
  'bench.updateReadme': { good: 'true', expect: true, bad: 'x' },
  'decode.pretty': { good: 'true', expect: true, bad: 'x' },
  'decode.encoding': { good: 'otlp-proto', expect: 'otlp-proto', bad: 'xml' },
  'encode.format': { good: 'proto3', expect: 'proto3', bad: 'xml' },
  'encode.out': { good: 'o.bin', expect: resolve(CWD, 'o.bin'), bad: '' },
  'produce.format': { good: 'json-v1', expect: 'json-v1', bad: 'xml' },
  'produce.spansPerMessage': { good: '0', expect: 0, bad: '-1' },
  'produce.partitions': { good: '6', expect: 6, bad: 'many' },
  'produce.headers': { good: '[{"name":"b3","value":"1"}]', expect: [{ name: 'b3', value: '1' }], bad: '[{"name":"b3"}]' },
  'produce.shiftToNow': { good: 'true', expect: true, bad: 'x' },
  'ship.paths': { good: 'a/*.log', expect: ['a/*.log'] },
  'ship.positionFile': { good: 'p.json', expect: resolve(CWD, 'p.json'), bad: '' },
  'ship.compression': { good: 'lz4', expect: 'lz4', bad: 'gzip' },
  'ship.pollIntervalMs': { good: '1s', expect: 1000, bad: '5ms' },
  'ship.readBytes': { good: '64KiB', expect: 65536, bad: '1' },
  'ship.maxInFlightBytes': { good: '8MiB', expect: 8 * 2 ** 20, bad: '1' },
  'ship.lingerMs': { good: '5ms', expect: 5, bad: '1h' },
  'ship.positionFlushMs': { good: '2s', expect: 2000, bad: '1ms' },
  'ship.shutdownTimeoutMs': { good: '30s', expect: 30000, bad: 'x' },
};

/** Required settings of a command (replay bounds, encode's format, produce's topic and file) unless the sample sets them. */
function baseline(command: Command, key: Key): string[] {
  if (command === 'encode') return key === 'encode.format' ? [] : ['--format=thrift'];
  if (command === 'produce') return ['--topic=t', 'spans.json'];
  if (command === 'ship') return [...(key === 'kafka.topic' ? [] : ['--topic=t']), ...(key === 'ship.paths' ? [] : ['--path=x/*.log'])];
  if (command !== 'replay') return [];
  return [...(key === 'replay.from' ? [] : ['--from=earliest']), ...(key === 'replay.to' ? [] : ['--to=latest'])];
}

function at(config: unknown, key: string): unknown {
  return key.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], config);
}

describe('every option, set by its flag', () => {
  for (const key of KEYS) {
    const sample = SAMPLES[key];
    const command = optionDef(key).commands[0]!;
    test(`${key}: accepts ${JSON.stringify(sample.good)}${sample.bad === undefined ? '' : `, refuses ${JSON.stringify(sample.bad)}`}`, () => {
      const base = [...baseline(command, key), ...(sample.with ?? [])];
      const good = loadConfig({ command, argv: [...base, `--${flagName(key)}=${sample.good}`], env: {}, cwd: CWD });
      assert.ok(good.ok, good.ok ? '' : good.errors.join('\n'));
      assert.deepEqual(at(good.config, key), sample.expect);
      if (sample.bad !== undefined) {
        const bad = loadConfig({ command, argv: [...base, `--${flagName(key)}=${sample.bad}`], env: {}, cwd: CWD });
        assert.ok(!bad.ok, `${JSON.stringify(sample.bad)} was accepted`);
        assert.equal(bad.errors.length, 1, bad.errors.join('\n'));
        assert.ok(bad.errors[0]!.startsWith(`${key}`), bad.errors[0]);
        assert.match(bad.errors[0]!, new RegExp(`flag --${flagName(key)}|${key}`));
        if (key === 'es.password') assert.doesNotMatch(bad.errors[0]!, /s3cret/);
      }
    });
  }
});
