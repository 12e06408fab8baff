/** Kafka reads for assertions, through a plain node-rdkafka consumer (independent of the code under test). */
import Kafka from 'node-rdkafka';
import type { Span } from '../../core/model/span.js';
import { type KafkaTarget, toConnection } from '../../src/kafka/connection.js';
import { KafkaProducer } from '../../src/kafka/producer.js';
import { KafkaSource, type RawBatch } from '../../src/source/kafka/consumer.js';
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

export interface ReadRecord {
  partition: number;
  key: string | undefined;
  value: Buffer;
  headers: Record<string, string>;
}

/** Every record of every partition of a topic, up to each partition's end when called (high watermark). */
export async function readAllPartitions(topic: string, partitions: number, kafka: KafkaTarget = KAFKA): Promise<ReadRecord[]> {
  const { bootstrapServers, properties } = toConnection(kafka);
  const consumer = new Kafka.KafkaConsumer(
    { ...properties, 'metadata.broker.list': bootstrapServers, 'group.id': `reader-${Date.now()}`, 'enable.auto.commit': false },
    {},
  );
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())));
  const out: ReadRecord[] = [];
  try {
    const ends = await Promise.all(
      Array.from(
        { length: partitions },
        (_, p) =>
          new Promise<number>((resolve, reject) =>
            consumer.queryWatermarkOffsets(topic, p, 10_000, (err, o) => (err ? reject(err) : resolve(o.highOffset))),
          ),
      ),
    );
    const next = new Array<number>(partitions).fill(0);
    consumer.assign(Array.from({ length: partitions }, (_, partition) => ({ topic, partition, offset: 0 })));
    const deadline = Date.now() + 60_000;
    while (next.some((n, p) => n < (ends[p] as number)) && Date.now() < deadline) {
      const batch = await new Promise<Kafka.Message[]>((resolve, reject) =>
        consumer.consume(1000, (err, m) => (err ? reject(err) : resolve(m))),
      );
      for (const m of batch) {
        next[m.partition] = m.offset + 1;
        const headers: Record<string, string> = {};
        for (const h of m.headers ?? []) for (const [k, v] of Object.entries(h)) headers[k] = String(v);
        out.push({ partition: m.partition, key: m.key?.toString(), value: m.value as Buffer, headers });
      }
    }
    if (next.some((n, p) => n < (ends[p] as number))) throw new Error(`could not read ${topic} to its end in 60 s`);
  } finally {
    await new Promise<void>((r) => consumer.disconnect(() => r()));
  }
  return out;
}

/**
 * The project's Kafka source on `topic` alone, for tests of the source itself: its own group from
 * the earliest offset, every batch to `onBatch`, the other events ignored. Connected and started.
 */
export async function startSource(
  bootstrapServers: string,
  topic: string,
  groupId: string,
  onBatch: (b: RawBatch) => void,
  batchMaxMessages = 500,
): Promise<KafkaSource> {
  const source = new KafkaSource(
    {
      bootstrapServers,
      groupId,
      clientId: 'tracefold-test',
      topics: [topic],
      autoOffsetReset: 'earliest',
      batchMaxMessages,
      batchMaxBytes: 1 << 20,
      fetchWaitMs: 100,
      extra: {},
    },
    {
      onBatch,
      onRevoke: async () => undefined,
      onAssign: () => undefined,
      onError: () => undefined,
      onRedelivered: () => undefined,
      onFatal: () => undefined,
    },
  );
  await source.connect();
  source.start();
  return source;
}
