/**
 * What the Kafka source tells about each batch, read from a real broker: record times, and the
 * partition's high watermark as of the client's last fetch (no request: librdkafka's cached value),
 * which the quiet clock uses to know whether a partition still has records to read.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { deleteTopic, ensureTopics } from '../../../src/kafka/admin.js';
import type { KafkaSource, RawBatch } from '../../../src/source/kafka/consumer.js';
import { produceTraces, startSource } from '../../helpers/kafka.js';
import { KAFKA, uniqueName } from '../../helpers/servers.js';
import { waitFor } from '../../helpers/tracefold.js';
import { syntheticTraces } from '../../helpers/traffic.js';

const topic = uniqueName('tf-batches');
let source: KafkaSource | undefined;

before(async () => {
  await ensureTopics(KAFKA, [{ topic, partitions: 1 }]);
});

after(async () => {
  await source?.disconnect();
  await deleteTopic(KAFKA, topic).catch(() => undefined);
});

test('a backlog read in small batches: each batch knows the high watermark, and only the last reaches it', {
  timeout: 120_000,
}, async () => {
  const startedMs = Date.now();
  const produced = await produceTraces(topic, syntheticTraces(1, 3), 5);
  const batches: RawBatch[] = [];
  source = await startSource(KAFKA, topic, uniqueName('g'), (b) => batches.push(b), 20);
  const next = (): number => (batches.length === 0 ? 0 : (batches[batches.length - 1] as RawBatch).lastOffset + 1);
  await waitFor(`all ${produced} records consumed`, async () => next() === produced, 60_000, 50);
  assert.ok(batches.length >= 3, `read in several batches (${batches.length})`);
  for (const b of batches) {
    assert.equal(b.high, produced, `batch ending at ${b.lastOffset}: the high watermark of the fetch`);
    for (const t of b.times) assert.ok(t >= startedMs - 60_000 && t <= Date.now(), `record time ${t}`);
  }
  const behind = batches.map((b) => b.lastOffset + 1 < (b.high as number));
  assert.deepEqual(behind, [...Array(batches.length - 1).fill(true), false], 'records left after every batch but the last');
});
