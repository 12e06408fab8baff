/**
 * `tracefold replay` against real Kafka + OpenSearch: offset and time ranges replay exactly the
 * records inside them (checked through the stock Zipkin server's API), a second identical replay
 * leaves the same documents, and a replay ends at the end fixed at start while a producer keeps writing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Span } from '../../../core/model/span.js';
import { type ServerHandle, startZipkin } from '../../../infra/index.js';
import { deleteTopic, ensureTopics } from '../../../src/kafka/admin.js';
import { KafkaProducer } from '../../../src/kafka/producer.js';
import type { ReplaySummary } from '../../../src/replay/summary.js';
import { createPrng } from '../../helpers/prng.js';
import { countDocs, deleteIndices, storedSpanKeys } from '../../helpers/search.js';
import { KAFKA, requireSearchEngine, SEARCH, uniqueName, zipkinPort } from '../../helpers/servers.js';
import { startTracefold, waitFor } from '../../helpers/tracefold.js';
import { copyTrace, sharedTraces } from '../../helpers/traffic.js';
import { zipkinGet } from '../../helpers/zipkin-api.js';

const topic = uniqueName('tf-replay');
const prefix = uniqueName('tfreplay');
let zipkin: ServerHandle;
let producer: KafkaProducer;
const prng = createPrng(99);
const base = sharedTraces().filter((t) => t.spans.length < 200);
const env = { KAFKA_BOOTSTRAP_SERVERS: KAFKA, ES_HOSTS: SEARCH, ES_INDEX_REPLICAS: '0', ES_INDEX_SHARDS: '1' };

/** Produces `n` fresh traces, one message each, in order; returns them. */
async function produceTraces(t: string, n: number): Promise<Span[][]> {
  const out: Span[][] = [];
  for (let i = 0; i < n; i++) {
    const spans = copyTrace((base[i % base.length] as { spans: Span[] }).spans, prng);
    out.push(spans);
    await producer.send({ topic: t, value: Buffer.from(JSON.stringify(spans)) });
  }
  return out;
}

async function replay(args: string[], index: string): Promise<{ code: number | null; summary: ReplaySummary }> {
  const run = startTracefold(
    ['replay', '--json', '--window-quiet-ms', '200ms', '--es-index-prefix', index, ...args],
    env,
    `${index}-replay`,
  );
  let stdout = '';
  run.child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  const code = await run.exited;
  const line = stdout.trim().split('\n').pop() ?? '';
  assert.ok(line.startsWith('{'), `replay printed a JSON summary (exit ${code}, log ${run.logFile}): ${line.slice(0, 200)}`);
  return { code, summary: JSON.parse(line) as ReplaySummary };
}

/** A Zipkin 5xx is asked again and then fails the test: it must not read as "not stored". */
async function zipkinHas(traceId: string): Promise<boolean> {
  return ((await zipkinGet<unknown[]>(zipkin.url, `/api/v2/trace/${traceId}`)) ?? []).length > 0;
}

before(async () => {
  await requireSearchEngine();
  await ensureTopics(KAFKA, [{ topic, partitions: 1 }]);
  producer = await KafkaProducer.connect(KAFKA);
  zipkin = await startZipkin({ name: 'zipkin-replay', port: zipkinPort(4), esIndex: `${prefix}-time` });
});

after(async () => {
  await producer?.close();
  await zipkin?.stop();
  await deleteIndices(`${prefix}*`);
  await deleteTopic(KAFKA, topic).catch(() => undefined);
});

test('an offset range replays exactly its records; a second replay leaves the same documents', { timeout: 180_000 }, async () => {
  const traces = await produceTraces(topic, 20);
  const index = `${prefix}-offsets`;
  const first = await replay(['--topic', topic, '--from', '5', '--to', '9'], index);
  assert.equal(first.code, 0);
  assert.equal(first.summary.messages, 5);
  assert.equal(first.summary.ok, true);
  const stored = new Set([...(await storedSpanKeys(`${index}-span-*`)).keys()].map((k) => k.split('/')[0]));
  const expected = new Set(traces.slice(5, 10).map((t) => t[0]?.traceId));
  assert.deepEqual([...stored].sort(), [...expected].sort(), 'exactly traces 5..9 were stored');
  const docs = await countDocs(`${index}-span-*`);
  assert.equal(first.summary.written, docs);

  const second = await replay(['--topic', topic, '--from', '5', '--to', '9'], index);
  assert.equal(second.code, 0);
  assert.equal(await countDocs(`${index}-span-*`), docs, 'replaying again does not duplicate');
});

test('a time range replays the records produced inside it, visible through Zipkin', { timeout: 180_000 }, async () => {
  const t = uniqueName('tf-replay-time');
  await ensureTopics(KAFKA, [{ topic: t, partitions: 3 }]);
  try {
    const before = await produceTraces(t, 5);
    await new Promise((r) => setTimeout(r, 1100));
    const from = new Date().toISOString();
    const inside = await produceTraces(t, 6);
    const to = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 1100));
    const afterwards = await produceTraces(t, 5);
    const { code, summary } = await replay(['--topic', t, '--from', from, '--to', to], `${prefix}-time`);
    assert.equal(code, 0);
    assert.equal(summary.messages, 6);
    // Acknowledged writes become searchable at the next index refresh (1 s by default).
    for (const tr of inside)
      await waitFor(`trace ${tr[0]?.traceId} to be served by Zipkin`, () => zipkinHas(tr[0]?.traceId as string), 15_000, 250);
    for (const tr of [...before, ...afterwards])
      assert.equal(await zipkinHas(tr[0]?.traceId as string), false, 'a trace outside the range was not replayed');
  } finally {
    await deleteTopic(KAFKA, t).catch(() => undefined);
  }
});

test('replay ends at the end fixed at start while a producer keeps writing', { timeout: 180_000 }, async () => {
  const t = uniqueName('tf-replay-live');
  await ensureTopics(KAFKA, [{ topic: t, partitions: 6 }]);
  let writing = true;
  try {
    await produceTraces(t, 200);
    const feeder = (async () => {
      while (writing) await produceTraces(t, 10);
    })();
    const { code, summary } = await replay(['--topic', t, '--from', 'earliest', '--to', 'latest', '--dry-run'], `${prefix}-live`);
    writing = false;
    await feeder;
    assert.equal(code, 0);
    assert.equal(summary.dryRun, true);
    assert.ok(summary.messages >= 200, `replayed at least what was there at start (${summary.messages})`);
    assert.equal(await countDocs(`${prefix}-live-span-*`), 0, 'a dry run writes nothing');
  } finally {
    writing = false;
    await deleteTopic(KAFKA, t).catch(() => undefined);
  }
});

test('once its range is consumed, replay flushes its windows instead of waiting out the quiet time', { timeout: 180_000 }, async () => {
  const t = uniqueName('tf-replay-flush');
  await ensureTopics(KAFKA, [{ topic: t, partitions: 2 }]);
  try {
    const traces = await produceTraces(t, 20);
    const spans = traces.reduce((n, tr) => n + tr.length, 0);
    const index = `${prefix}-flush`;
    // A quiet time (and window) far longer than a replay of 20 traces takes once flushed at the end.
    const started = Date.now();
    const { code, summary } = await replay(
      ['--topic', t, '--from', 'earliest', '--to', 'latest', '--workers', '2', '--window-quiet-ms', '1m', '--window-max-window-ms', '2m'],
      index,
    );
    const took = Date.now() - started;
    assert.equal(code, 0);
    assert.equal(summary.ok, true);
    assert.equal(summary.messages, 20);
    assert.equal(summary.written, spans);
    assert.ok(took < 40_000, `replay exited after ${took} ms, not after the 60 s quiet time`);
    assert.equal(await countDocs(`${index}-span-*`), summary.written);
  } finally {
    await deleteTopic(KAFKA, t).catch(() => undefined);
  }
});

test('one trace on a partition read ahead and on one read behind is decided whole, not in pieces', { timeout: 240_000 }, async () => {
  const t = uniqueName('tf-replay-skew');
  await ensureTopics(KAFKA, [{ topic: t, partitions: 2 }]);
  const dir = mkdtempSync(join(tmpdir(), 'tf-replay-skew-'));
  try {
    // Keep only traces with a failed span: a trace decided without its failed child is lost.
    const config = join(dir, 'errors.yaml');
    writeFileSync(config, 'sample:\n  policies:\n    - type: error\n');
    // Partition 0: many earlier one-span traces, then the trace's failed child; partition 1: its
    // root alone. Replay reads partition 1 at once and partition 0 for seconds (batches of 20
    // messages: with the default 500 it read all 30,000 in about a second, and the root did not
    // always go quiet before the child came), so the root's window (quiet 200 ms) goes quiet long
    // before the child is read.
    const now = Date.now() * 1000;
    const hex = (n: number): string => n.toString(16).padStart(16, '0');
    const sends: Promise<unknown>[] = [];
    const FILLER = 30_000;
    for (let i = 0; i < FILLER; i++) {
      const filler = {
        traceId: hex(0x5eed0000 + i),
        id: hex(0x5eed0000 + i),
        name: 'get /filler',
        timestamp: now,
        duration: 10,
        localEndpoint: { serviceName: 'filler' },
      };
      sends.push(producer.send({ topic: t, partition: 0, value: Buffer.from(JSON.stringify([filler])) }));
    }
    await Promise.all(sends);
    const traceId = hex(0xabcdef12345);
    const root = {
      traceId,
      id: hex(1),
      name: 'get /checkout',
      kind: 'SERVER',
      timestamp: now,
      duration: 9_000,
      localEndpoint: { serviceName: 'front' },
    };
    const child = {
      traceId,
      parentId: hex(1),
      id: hex(2),
      name: 'charge',
      kind: 'CLIENT',
      timestamp: now + 100,
      duration: 8_000,
      localEndpoint: { serviceName: 'front' },
      tags: { error: 'card declined' },
    };
    await producer.send({ topic: t, partition: 0, value: Buffer.from(JSON.stringify([child])) });
    await producer.send({ topic: t, partition: 1, value: Buffer.from(JSON.stringify([root])) });
    const stored = async (index: string): Promise<string[]> =>
      [...(await storedSpanKeys(`${index}-span-*`)).keys()].filter((k) => k.startsWith(traceId)).sort();
    const args = [
      '--topic',
      t,
      '--from',
      'earliest',
      '--to',
      'latest',
      '--workers',
      '2',
      '--config',
      config,
      '--kafka-batch-max-messages',
      '20',
    ];

    const whole = await replay(args, `${prefix}-skew`);
    assert.equal(whole.code, 0);
    assert.equal(whole.summary.lateSpans, 0, 'no span arrived after its trace was decided');
    assert.deepEqual(whole.summary.kept, { error: 2 });
    assert.equal(whole.summary.sampledOut, FILLER);
    assert.equal((await stored(`${prefix}-skew`)).length, 2, 'the root and its failed child are stored');

    // The same replay with quiet time on the wall clock alone: the root is decided by itself
    // (nothing failed), and the failed child, read later, follows that decision.
    const hasty = await replay([...args, '--window-partition-skew-ms', '0'], `${prefix}-skew-off`);
    assert.equal(hasty.code, 0);
    assert.equal(hasty.summary.lateSpans, 1, JSON.stringify(hasty.summary));
    assert.deepEqual(await stored(`${prefix}-skew-off`), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await deleteTopic(KAFKA, t).catch(() => undefined);
  }
});

test('--out writes the documents as NDJSON to a file instead of the search engine', { timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfreplay-'));
  const out = join(dir, 'spans.ndjson');
  const t = uniqueName('tf-replay-file');
  await ensureTopics(KAFKA, [{ topic: t, partitions: 1 }]);
  try {
    await produceTraces(t, 6);
    const { code, summary } = await replay(['--topic', t, '--from', '0', '--to', '3', '--out', out], `${prefix}-file`);
    assert.equal(code, 0);
    assert.equal(summary.messages, 4);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    // Bulk pairs: an action line and a span document per span written.
    assert.equal(lines.length, 2 * summary.written);
    assert.ok(summary.written > 0, 'spans were written');
    const doc = JSON.parse(lines[1] as string) as { traceId?: string };
    assert.match(doc.traceId ?? '', /^[0-9a-f]{16,32}$/);
    assert.equal(await countDocs(`${prefix}-file-span-*`), 0, 'nothing went to the search engine');
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await deleteTopic(KAFKA, t).catch(() => undefined);
  }
});
