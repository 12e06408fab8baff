/** Kafka reads for assertions, through a plain node-rdkafka consumer (independent of the code under test). */
import Kafka from 'node-rdkafka';
import type { Span } from '../../core/model/span.js';
import { type KafkaTarget, toConnection } from '../../src/kafka/connection.js';
import { KafkaProducer } from '../../src/kafka/producer.js';
import { KAFKA } from './servers.js';

/** Sum over the topic's partitions of the group's committed offsets (what a restart would skip). */
export async function committedTotal(group: string, topic: string, partitions: number, kafka: KafkaTarget = KAFKA): Promise<number> {
  const { bootstrapServers, properties } = toConnection(kafka);
  const consumer = new Kafka.KafkaConsumer(
    { ...properties, 'metadata.broker.list': bootstrapServers, 'group.id': group, 'enable.auto.commit': false },
    {},
  );
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())));
  try {
    const parts = Array.from({ length: partitions }, (_, partition) => ({ topic, partition }));
    const committed = await new Promise<Kafka.TopicPartitionOffset[]>((resolve, reject) =>
      consumer.committed(parts, 10_000, (err, tps) => (err ? reject(err) : resolve(tps))),
    );
    // A partition that never received a record has nothing to commit: node-rdkafka then gives no
    // offset at all (counted as 0 here, as the "invalid" -1001 it returns otherwise).
    return committed.reduce((sum, tp) => sum + (Number.isInteger(tp.offset) ? Math.max(0, tp.offset) : 0), 0);
  } finally {
    await new Promise<void>((r) => consumer.disconnect(() => r()));
  }
}

/** Produces traces as JSON v2 messages of up to `perMessage` spans, no key (like real reporters); returns the message count. */
export async function produceTraces(
  topic: string,
  traces: readonly (readonly Span[])[],
  perMessage = 5,
  kafka: KafkaTarget = KAFKA,
): Promise<number> {
  const producer = await KafkaProducer.connect(kafka);
  let messages = 0;
  try {
    const sends: Promise<number>[] = [];
    for (const t of traces) {
      for (let i = 0; i < t.length; i += perMessage) {
        sends.push(producer.send({ topic, value: Buffer.from(JSON.stringify(t.slice(i, i + perMessage))) }));
        messages++;
      }
    }
    await Promise.all(sends);
  } finally {
    await producer.close();
  }
  return messages;
}

/** Every record of a single-partition topic (e.g. a dead-letter topic), reading until `expected` arrived or 30 s passed. */
export async function readTopic(topic: string, expected: number, kafka: KafkaTarget = KAFKA): Promise<Kafka.Message[]> {
  const { bootstrapServers, properties } = toConnection(kafka);
  const consumer = new Kafka.KafkaConsumer(
    { ...properties, 'metadata.broker.list': bootstrapServers, 'group.id': `reader-${Date.now()}`, 'enable.auto.commit': false },
    {},
  );
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())));
  const out: Kafka.Message[] = [];
  try {
    consumer.assign([{ topic, partition: 0, offset: 0 }]);
    const deadline = Date.now() + 30_000;
    while (out.length < expected && Date.now() < deadline) {
      out.push(
        ...(await new Promise<Kafka.Message[]>((resolve, reject) => consumer.consume(100, (err, m) => (err ? reject(err) : resolve(m))))),
      );
    }
  } finally {
    await new Promise<void>((r) => consumer.disconnect(() => r()));
  }
  return out;
}

/** Sum of the topic's high watermarks: every record ever acknowledged on it. */
export async function topicEndTotal(topic: string, partitions: number, kafka: KafkaTarget = KAFKA): Promise<number> {
  const { bootstrapServers, properties } = toConnection(kafka);
  const consumer = new Kafka.KafkaConsumer(
    { ...properties, 'metadata.broker.list': bootstrapServers, 'group.id': `ends-${Date.now()}`, 'enable.auto.commit': false },
    {},
  );
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())));
  try {
    let total = 0;
    for (let partition = 0; partition < partitions; partition++) {
      total += await new Promise<number>((resolve, reject) =>
        consumer.queryWatermarkOffsets(topic, partition, 10_000, (err, o) => (err ? reject(err) : resolve(o.highOffset))),
      );
    }
    return total;
  } finally {
    await new Promise<void>((r) => consumer.disconnect(() => r()));
  }
}

/** Reads every record of a topic from the start (all partitions), until `expected` arrived or 30 s passed. */
export async function readAll(topic: string, partitions: number, expected: number, kafka: KafkaTarget = KAFKA): Promise<Kafka.Message[]> {
  const { bootstrapServers, properties } = toConnection(kafka);
  const consumer = new Kafka.KafkaConsumer(
    { ...properties, 'metadata.broker.list': bootstrapServers, 'group.id': `reader-${Date.now()}`, 'enable.auto.commit': false },
    {},
  );
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())));
  const out: Kafka.Message[] = [];
  try {
    consumer.assign(Array.from({ length: partitions }, (_, partition) => ({ topic, partition, offset: 0 })));
    const deadline = Date.now() + 30_000;
    while (out.length < expected && Date.now() < deadline) {
      out.push(
        ...(await new Promise<Kafka.Message[]>((resolve, reject) => consumer.consume(500, (err, m) => (err ? reject(err) : resolve(m))))),
      );
    }
  } finally {
    await new Promise<void>((r) => consumer.disconnect(() => r()));
  }
  return out;
}
