/**
 * A promise-shaped node-rdkafka producer: `send` resolves when the broker acknowledged the record
 * (delivery report), which is what the dead-letter sink needs before it may resolve a unit.
 */
import Kafka from 'node-rdkafka';
import { TracefoldError } from '../../core/errors.js';
import { connectClient, type KafkaTarget, toConnection } from './connection.js';

export interface OutgoingRecord {
  topic: string;
  value: Buffer;
  key?: Buffer | string | null;
  partition?: number | null;
  headers?: Record<string, string | Buffer>;
  timestamp?: number;
}

interface Pending {
  resolve(offset: number): void;
  reject(err: Error): void;
}

export class KafkaProducer {
  private readonly producer: Kafka.Producer;
  private readonly pending = new Map<number, Pending>();
  private seq = 0;

  private constructor(producer: Kafka.Producer) {
    this.producer = producer;
    producer.on('delivery-report', (err, report) => {
      const id = report.opaque as number;
      const p = this.pending.get(id);
      if (p === undefined) return;
      this.pending.delete(id);
      // `fatal`: the idempotent producer cannot go on (librdkafka's fatal error); only a new producer can.
      if (err)
        p.reject(
          new TracefoldError('TF_KAFKA_PRODUCE', `delivery to ${report.topic} failed: ${err.message}`, {
            topic: report.topic,
            fatal: err.isFatal === true,
          }),
        );
      else p.resolve(report.offset);
    });
  }

  static async connect(
    target: KafkaTarget,
    extra: Record<string, string | number | boolean> = {},
    timeoutMs = 15_000,
  ): Promise<KafkaProducer> {
    const { bootstrapServers, properties } = toConnection(target);
    const producer = new Kafka.Producer({
      ...properties,
      'metadata.broker.list': bootstrapServers,
      'client.id': 'tracefold-producer',
      dr_cb: true,
      'linger.ms': 5,
      'queue.buffering.max.messages': 1_000_000,
      'queue.buffering.max.kbytes': 1_048_576,
      'enable.idempotence': true,
      ...extra,
    });
    await connectClient(producer, bootstrapServers, timeoutMs);
    producer.setPollInterval(20);
    return new KafkaProducer(producer);
  }

  /** Queues one record; resolves with its offset once acknowledged. Retries a full local queue. */
  send(rec: OutgoingRecord): Promise<number> {
    const id = ++this.seq;
    const headers = rec.headers ? Object.entries(rec.headers).map(([k, v]) => ({ [k]: v })) : undefined;
    return new Promise<number>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const attempt = (): void => {
        try {
          this.producer.produce(rec.topic, rec.partition ?? null, rec.value, rec.key ?? null, rec.timestamp ?? Date.now(), id, headers);
        } catch (err) {
          // librdkafka's local queue is full: wait for deliveries to drain it.
          if ((err as { code?: number }).code === Kafka.CODES.ERRORS.ERR__QUEUE_FULL) {
            this.producer.poll();
            setTimeout(attempt, 10);
            return;
          }
          this.pending.delete(id);
          reject(
            new TracefoldError('TF_KAFKA_PRODUCE', `cannot produce to ${rec.topic}: ${(err as Error).message}`, {
              topic: rec.topic,
              fatal: (err as { isFatal?: boolean }).isFatal === true || (err as { code?: number }).code === Kafka.CODES.ERRORS.ERR__FATAL,
            }),
          );
        }
      };
      attempt();
    });
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** How many partitions `topic` has (0: no such topic). */
  async partitionCount(topic: string, timeoutMs = 10_000): Promise<number> {
    const meta = await new Promise<Kafka.Metadata>((resolve, reject) =>
      this.producer.getMetadata({ topic, timeout: timeoutMs }, (err, m) =>
        err ? reject(new TracefoldError('TF_KAFKA_ADMIN', `cannot read the metadata of ${topic}: ${err.message}`, { topic })) : resolve(m),
      ),
    );
    return meta.topics.find((t) => t.name === topic)?.partitions.length ?? 0;
  }

  async flush(timeoutMs = 30_000): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.producer.flush(timeoutMs, (err) => (err ? reject(err) : resolve()));
    });
  }

  async close(): Promise<void> {
    try {
      await this.flush(10_000);
    } finally {
      await new Promise<void>((resolve) => this.producer.disconnect(() => resolve()));
    }
  }
}
