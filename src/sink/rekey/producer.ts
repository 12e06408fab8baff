/**
 * Stage 1's output (`--stage rekey`): the keyed records workers made of a batch go to the
 * trace-keyed topic with an idempotent producer (no duplicates from its own retries, order kept per
 * partition). Each record is one unit of its raw batch and resolves only on its delivery report, so
 * the watermark commits raw offsets only behind acknowledged produces. A failed delivery is retried
 * (capped backoff), never dropped: the raw batch stays uncommitted until it succeeds.
 */
import type { RekeyedMessage } from '../../../workers/protocol.js';
import type { KafkaProducer } from '../../kafka/producer.js';

/**
 * Producer properties of the keyed stream: batched and compressed (traces of one batch repeat
 * service names and tags, so lz4 shrinks them several times at little CPU), and keys placed with
 * murmur2 like the Java client, so a Kafka Streams or Java consumer agrees on a trace's partition.
 */
export const REKEY_PRODUCER_PROPERTIES: Readonly<Record<string, string | number | boolean>> = {
  'enable.idempotence': true,
  acks: 'all',
  'compression.codec': 'lz4',
  'linger.ms': 20,
  'batch.size': 1_000_000,
  partitioner: 'murmur2_random',
};

export class RekeySink {
  private pending = 0;

  constructor(
    private readonly producer: KafkaProducer,
    private readonly topic: string,
    private readonly onDelivered: (batchId: number) => void,
    private readonly onRetry: (err: Error, batchId: number) => void,
  ) {}

  /** Produces every record of the message; `onDelivered` runs once per acknowledged record. */
  write(msg: RekeyedMessage): void {
    const data = Buffer.from(msg.data);
    let start = 0;
    for (let i = 0; i < msg.ends.length; i++) {
      const end = msg.ends[i] as number;
      this.send(msg.batchId, msg.keys[i] as string, data.subarray(start, end), 0);
      start = end;
    }
  }

  private send(batchId: number, key: string, value: Buffer, attempt: number): void {
    if (attempt === 0) this.pending++;
    this.producer
      .send({ topic: this.topic, key, value })
      .then(() => {
        this.pending--;
        this.onDelivered(batchId);
      })
      .catch((err: Error) => {
        this.onRetry(err, batchId);
        setTimeout(() => this.send(batchId, key, value, attempt + 1), Math.min(30_000, 100 * 2 ** Math.min(attempt, 9)));
      });
  }

  /** Records produced and not yet acknowledged. */
  get inFlight(): number {
    return this.pending;
  }
}
