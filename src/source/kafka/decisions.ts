/**
 * Reads stage 2's decision log back (sink/decisions/log.ts): when a node is given partitions of the
 * keyed topic, the decisions their previous owner logged in the last late-decision TTL, read from
 * the same partition numbers of `<keyed topic>.decisions` up to their current end. A separate
 * consumer without a group (it assigns partitions itself and never commits), so the ingest
 * consumer's group membership is not disturbed.
 */
import type Kafka from 'node-rdkafka';
import { TracefoldError } from '../../../core/errors.js';
import type { KafkaTarget } from '../../kafka/connection.js';
import { connectStandaloneConsumer, kafkaCall } from '../../kafka/standalone-consumer.js';
import type { DecisionValue } from '../../sink/decisions/log.js';

export interface RestoredDecisions {
  keys: string[];
  keep: boolean[];
  policies: string[];
}

export interface ReadResult {
  /** Per partition number, its decisions in log order (a later record of a key overrides an earlier one). */
  byPartition: Map<number, RestoredDecisions>;
  /** Records that were not a decision (no key, not the JSON the log writes): skipped. */
  malformed: number;
}

export function parseDecision(value: Buffer | null | undefined): DecisionValue | undefined {
  if (value === null || value === undefined) return undefined;
  try {
    const v = JSON.parse(value.toString('utf8')) as Partial<DecisionValue>;
    if (typeof v.keep !== 'boolean' || typeof v.policy !== 'string') return undefined;
    return { keep: v.keep, policy: v.policy };
  } catch {
    return undefined;
  }
}

export class DecisionReader {
  private consumer: Kafka.KafkaConsumer | undefined;

  constructor(
    private readonly target: KafkaTarget,
    private readonly groupId: string,
    readonly topic: string,
  ) {}

  private async connect(timeoutMs: number): Promise<Kafka.KafkaConsumer> {
    if (this.consumer) return this.consumer;
    // Nothing is ever committed under this group.
    const consumer = await connectStandaloneConsumer(this.target, `${this.groupId}.decision-reader`, timeoutMs, {
      'auto.offset.reset': 'earliest',
    });
    consumer.setDefaultConsumeTimeout(100);
    this.consumer = consumer;
    return consumer;
  }

  /** The decisions logged on `partitions` since `sinceMs` (epoch ms), up to each partition's end now. */
  async read(partitions: readonly number[], sinceMs: number, timeoutMs: number): Promise<ReadResult> {
    const deadline = Date.now() + timeoutMs;
    const consumer = await this.connect(timeoutMs);
    const topic = this.topic;
    const byPartition = new Map<number, RestoredDecisions>();
    let malformed = 0;
    const ends = new Map<number, number>();
    for (const p of partitions) {
      const w = await kafkaCall<Kafka.WatermarkOffsets>(
        (cb) => consumer.queryWatermarkOffsets(topic, p, timeoutMs, cb),
        `end of ${topic}/${p}`,
      );
      ends.set(p, w.highOffset);
    }
    const starts = await kafkaCall<Kafka.TopicPartitionOffset[]>(
      (cb) =>
        consumer.offsetsForTimes(
          partitions.map((partition) => ({ topic, partition, offset: sinceMs })),
          timeoutMs,
          cb,
        ),
      `offsets of ${topic} at ${new Date(sinceMs).toISOString()}`,
    );
    // -1: nothing logged since then.
    const todo = starts.filter((s) => s.offset >= 0 && s.offset < (ends.get(s.partition) ?? 0));
    if (todo.length === 0) return { byPartition, malformed };
    const left = new Set(todo.map((s) => s.partition));
    consumer.assign(todo.map((s) => ({ topic, partition: s.partition, offset: s.offset })));
    try {
      while (left.size > 0) {
        if (Date.now() > deadline)
          throw new TracefoldError(
            'TF_KAFKA_CONSUME',
            `reading ${topic} took longer than ${timeoutMs} ms (partitions ${[...left].join(', ')} not read to their end)`,
          );
        const messages = await kafkaCall<Kafka.Message[]>((cb) => consumer.consume(1000, cb), `reading ${topic}`);
        for (const m of messages) {
          const d = parseDecision(m.value);
          const key = m.key === null || m.key === undefined ? '' : m.key.toString();
          if (d === undefined || key === '') malformed++;
          else {
            let list = byPartition.get(m.partition);
            if (list === undefined) {
              list = { keys: [], keep: [], policies: [] };
              byPartition.set(m.partition, list);
            }
            list.keys.push(key);
            list.keep.push(d.keep);
            list.policies.push(d.policy);
          }
          if (m.offset + 1 >= (ends.get(m.partition) ?? 0)) left.delete(m.partition);
        }
      }
    } finally {
      consumer.unassign();
    }
    return { byPartition, malformed };
  }

  async close(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    if (consumer) await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}
