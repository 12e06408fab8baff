/**
 * Faulty instrumentation (issue #11): spans with each fault the data-quality rules know are fixed,
 * dropped or quarantined as configured. Each fix is visible on the stored span through the stock
 * Zipkin server's API (`tracefold.fixed`), each quarantined span is on the dead-letter topic with
 * its rule as the code, each drop is counted in /metrics, and a healthy trace is stored untouched.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Kafka from 'node-rdkafka';
import type { Span } from '../../../core/model/span.js';
import { type ServerHandle, startZipkin } from '../../../infra/index.js';
import { deleteTopic, ensureTopics } from '../../../src/kafka/admin.js';
import { produceTraces } from '../../helpers/kafka.js';
import { deleteIndices } from '../../helpers/search.js';
import { KAFKA, requireSearchEngine, SEARCH, SEARCH_LABEL, uniqueName, zipkinPort } from '../../helpers/servers.js';
import { metric, type Running, searchEnv, startTracefold, waitFor } from '../../helpers/tracefold.js';
import { zipkinGet } from '../../helpers/zipkin-api.js';

const ADMIN_PORT = 19472;
const topic = uniqueName('tf-quality');
const index = uniqueName('tfquality');
const dir = mkdtempSync(join(tmpdir(), 'tf-quality-'));
let zipkin: ServerHandle;
let tf: Running | undefined;

const NOW = Date.now() * 1000;
let n = 0;
const tid = (): string => (0xabc000 + ++n).toString(16).padStart(16, '0');
const root = (traceId: string, over: Partial<Span> = {}): Span => ({
  traceId,
  id: 'a'.repeat(16),
  name: 'get /',
  kind: 'SERVER',
  timestamp: NOW,
  duration: 5000,
  localEndpoint: { serviceName: 'front' },
  ...over,
});
const child = (traceId: string, over: Partial<Span> = {}): Span => ({
  traceId,
  parentId: 'a'.repeat(16),
  id: 'b'.repeat(16),
  name: 'query',
  kind: 'CLIENT',
  timestamp: NOW + 100,
  duration: 1000,
  localEndpoint: { serviceName: 'front' },
  remoteEndpoint: { serviceName: 'db' },
  ...over,
});

const CONFIG = `check:
  rules:
    - { rule: missing_timestamp, action: fix }
    - { rule: bad_duration, action: fix, maxDuration: 1h }
    - { rule: timestamp_skew, action: quarantine, maxFuture: 1h, maxPast: 7d }
    - { rule: long_name, action: fix, maxLength: 50 }
    - { rule: long_tag, action: fix, maxLength: 40, maxValueLength: 100 }
    - { rule: placeholder_service, action: drop }
    - { rule: duplicate_span_id, action: quarantine }
    - { rule: mixed_trace_id, action: fix }
`;

async function zipkinTrace(id: string): Promise<Span[]> {
  return (await zipkinGet<Span[]>(zipkin.url, `/api/v2/trace/${id}`)) ?? [];
}

async function deadLetterCodes(expected: number): Promise<Map<string, string[]>> {
  const consumer = new Kafka.KafkaConsumer(
    { 'metadata.broker.list': KAFKA, 'group.id': uniqueName('dlq'), 'enable.auto.commit': false },
    {},
  );
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())));
  const out = new Map<string, string[]>();
  let got = 0;
  try {
    consumer.assign([{ topic: `${topic}.dead-letter`, partition: 0, offset: 0 }]);
    const deadline = Date.now() + 30_000;
    while (got < expected && Date.now() < deadline) {
      const batch = await new Promise<Kafka.Message[]>((resolve, reject) =>
        consumer.consume(100, (err, m) => (err ? reject(err) : resolve(m))),
      );
      for (const m of batch) {
        got++;
        const code =
          m.headers
            ?.map((h) => h['tracefold-code'])
            .find((v) => v !== undefined)
            ?.toString() ?? '';
        const spans = JSON.parse(m.value?.toString() ?? '[]') as Span[];
        out.set(code, [...(out.get(code) ?? []), ...spans.map((s) => s.traceId)]);
      }
    }
  } finally {
    await new Promise<void>((r) => consumer.disconnect(() => r()));
  }
  return out;
}

before(async () => {
  await requireSearchEngine();
  await ensureTopics(KAFKA, [{ topic, partitions: 2 }]);
  zipkin = await startZipkin({ name: 'zipkin-quality', port: zipkinPort(12), esIndex: index, esHosts: SEARCH });
});

after(async () => {
  tf?.child.kill('SIGTERM');
  await tf?.exited;
  await zipkin?.stop();
  await deleteTopic(KAFKA, topic).catch(() => undefined);
  await deleteTopic(KAFKA, `${topic}.dead-letter`).catch(() => undefined);
  await deleteIndices(`${index}*`);
  rmSync(dir, { recursive: true, force: true });
});

test(`each data-quality fault is fixed, dropped or quarantined as configured (${SEARCH_LABEL})`, { timeout: 240_000 }, async () => {
  const file = join(dir, 'quality.yaml');
  writeFileSync(file, CONFIG);
  const t = {
    noTimestamp: tid(),
    longDuration: tid(),
    future: tid(),
    longName: tid(),
    longTag: tid(),
    placeholder: tid(),
    duplicate: tid(),
    mixed: tid(),
    healthy: tid(),
  };
  const mixedLong = `463ac35c9f6413ad${t.mixed}`;
  const traces: Span[][] = [
    [root(t.noTimestamp), child(t.noTimestamp, { timestamp: undefined, annotations: [{ timestamp: NOW + 150, value: 'retry' }] })],
    [root(t.longDuration), child(t.longDuration, { duration: 2 * 3600 * 1e6 })],
    [root(t.future), child(t.future, { timestamp: NOW + 48 * 3600 * 1e6 })],
    [root(t.longName), child(t.longName, { name: 'n'.repeat(80) })],
    [root(t.longTag), child(t.longTag, { tags: { 'sql.query': 'q'.repeat(500) } })],
    [root(t.placeholder), child(t.placeholder, { localEndpoint: { serviceName: 'unknown' } })],
    [root(t.duplicate), child(t.duplicate), child(t.duplicate, { duration: 777 })],
    [root(mixedLong), child(t.mixed)],
    [root(t.healthy), child(t.healthy, { tags: { 'http.path': '/ok' } })],
  ];
  // One message per span: the duplicate and the mixed halves arrive apart, as from separate reporters.
  await produceTraces(topic, traces, 1);
  tf = startTracefold(
    [
      'ingest',
      '--config',
      file,
      '--workers',
      '2',
      '--admin-port',
      String(ADMIN_PORT),
      '--window-quiet-ms',
      '500ms',
      '--kafka-commit-interval-ms',
      '500ms',
    ],
    {
      KAFKA_BOOTSTRAP_SERVERS: KAFKA,
      KAFKA_TOPIC: topic,
      KAFKA_GROUP_ID: uniqueName('g'),
      ...searchEnv(index),
    },
    index,
  );
  // Every trace's stored spans, not a few of them: each worker writes its own traces in its own bulk
  // requests, so one trace being readable says nothing about a trace another worker holds.
  const stored: [string, number][] = [
    [t.noTimestamp, 2],
    [t.longDuration, 2],
    [t.future, 1],
    [t.longName, 2],
    [t.longTag, 2],
    [t.placeholder, 1],
    [t.duplicate, 2],
    [mixedLong, 2],
    [t.healthy, 2],
  ];
  await waitFor(
    'every trace stored in Zipkin',
    async () => {
      await fetch(`${SEARCH}/${index}*/_refresh`, { method: 'POST' }).catch(() => undefined);
      for (const [id, count] of stored) if ((await zipkinTrace(id)).length !== count) return false;
      return true;
    },
    120_000,
  );

  const fixedOf = async (id: string): Promise<Span> => {
    const spans = await zipkinTrace(id);
    const s = spans.find((x) => x.id === 'b'.repeat(16));
    assert.ok(s, `the child of ${id} is stored`);
    return s;
  };
  const noTs = await fixedOf(t.noTimestamp);
  assert.equal(noTs.timestamp, NOW + 150, 'timestamp from the earliest annotation');
  assert.equal(noTs.tags?.['tracefold.fixed'], 'missing_timestamp');
  const longDur = await fixedOf(t.longDuration);
  assert.equal(longDur.duration, undefined);
  assert.equal(longDur.tags?.['tracefold.fixed'], 'bad_duration');
  const longName = await fixedOf(t.longName);
  assert.equal(longName.name, 'n'.repeat(50));
  assert.equal(longName.tags?.['tracefold.fixed'], 'long_name');
  const longTag = await fixedOf(t.longTag);
  assert.equal(longTag.tags?.['sql.query'], 'q'.repeat(100));
  assert.equal(longTag.tags?.['tracefold.fixed'], 'long_tag');
  const mixed = await zipkinTrace(mixedLong);
  assert.deepEqual(
    mixed.map((s) => s.traceId),
    [mixedLong, mixedLong],
    'the 64-bit span got the 128-bit ID',
  );
  assert.equal(mixed.find((s) => s.id === 'b'.repeat(16))?.tags?.['tracefold.fixed'], 'mixed_trace_id');
  const healthy = await zipkinTrace(t.healthy);
  assert.ok(
    healthy.every((s) => s.tags?.['tracefold.fixed'] === undefined),
    'a healthy trace is untouched',
  );

  // Dropped: not stored, counted.
  assert.deepEqual(
    (await zipkinTrace(t.placeholder)).map((s) => s.id),
    ['a'.repeat(16)],
  );
  await waitFor(
    'the drop counted',
    async () => (await metric(ADMIN_PORT, 'tracefold_quality_rules_total', { rule: 'placeholder_service', action: 'drop' })) === 1,
    30_000,
  );
  // Quarantined: on the dead-letter topic with the rule, not stored.
  const dlq = await deadLetterCodes(2);
  assert.deepEqual(dlq.get('timestamp_skew'), [t.future]);
  assert.deepEqual(dlq.get('duplicate_span_id'), [t.duplicate]);
  assert.equal((await zipkinTrace(t.future)).length, 1);
  assert.equal((await zipkinTrace(t.duplicate)).length, 2, 'the first of the duplicates stays');
  // Counted in the worker that decoded it, which reports its counters about once a second.
  await waitFor(
    'the quarantine counted',
    async () => (await metric(ADMIN_PORT, 'tracefold_quality_rules_total', { rule: 'timestamp_skew', action: 'quarantine' })) === 1,
    30_000,
  );
});
