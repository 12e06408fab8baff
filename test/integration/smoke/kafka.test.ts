import assert from 'node:assert/strict';
import { test } from 'node:test';
import Kafka from 'node-rdkafka';
import { deleteTopic, ensureTopics } from '../../../src/kafka/admin.js';
import { KafkaProducer } from '../../../src/kafka/producer.js';
import { KAFKA, uniqueName } from '../../helpers/servers.js';

test('a 6-partition topic carries 10,000 records with keys and headers intact', async () => {
  const topic = uniqueName('smoke');
  await ensureTopics(KAFKA, [{ topic, partitions: 6 }]);
  const producer = await KafkaProducer.connect(KAFKA);
  const N = 10_000;
  try {
    const sends: Promise<number>[] = [];
    for (let i = 0; i < N; i++) {
      sends.push(producer.send({ topic, key: `key-${i}`, value: Buffer.from(`value-${i}`), headers: { seq: String(i), text: `ü✓-${i}` } }));
    }
    await Promise.all(sends);
  } finally {
    await producer.close();
  }

  const consumer = new Kafka.KafkaConsumer(
    { 'metadata.broker.list': KAFKA, 'group.id': uniqueName('smoke-group'), 'enable.auto.commit': false },
    { 'auto.offset.reset': 'earliest' },
  );
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())));
  const seen = new Map<number, Kafka.Message>();
  const partitions = new Set<number>();
  try {
    consumer.assign(Array.from({ length: 6 }, (_, partition) => ({ topic, partition, offset: 0 })));
    const deadline = Date.now() + 60_000;
    while (seen.size < N && Date.now() < deadline) {
      const batch = await new Promise<Kafka.Message[]>((resolve, reject) =>
        consumer.consume(1000, (err, m) => (err ? reject(err) : resolve(m))),
      );
      for (const m of batch) {
        const seq = Number(m.value?.toString().slice('value-'.length));
        seen.set(seq, m);
        partitions.add(m.partition);
      }
    }
  } finally {
    await new Promise<void>((r) => consumer.disconnect(() => r()));
    await deleteTopic(KAFKA, topic).catch(() => undefined);
  }
  assert.equal(seen.size, N, 'every record came back');
  assert.equal(partitions.size, 6, 'records were spread over all 6 partitions');
  for (const [i, m] of seen) {
    assert.equal(m.key?.toString(), `key-${i}`);
    const headers = Object.assign({}, ...(m.headers ?? [])) as Record<string, Buffer>;
    assert.equal(headers.seq?.toString(), String(i));
    // node-rdkafka carries header values as UTF-8 strings (binary values do not survive), so
    // tracefold's own headers (dead-letter metadata) are always text.
    assert.equal(headers.text?.toString(), `ü✓-${i}`);
  }
});
