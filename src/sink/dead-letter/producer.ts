/**
 * The dead-letter sink: records that can never be stored go to a Kafka topic with the original
 * bytes and `tracefold-*` headers. A record counts as resolved only once Kafka acknowledged it;
 * a failed delivery is retried (capped backoff) rather than dropped.
 */

import type { DeadLetterRecord } from '../../../workers/protocol.js';
import type { KafkaProducer } from '../../kafka/producer.js';

export class DeadLetterSink {
  private pending = 0;

  constructor(
    private readonly producer: KafkaProducer,
    private readonly topic: string,
    private readonly onDelivered: (rec: DeadLetterRecord) => void,
    private readonly onRetry: (err: Error, rec: DeadLetterRecord) => void,
  ) {}

  write(rec: DeadLetterRecord, attempt = 0): void {
    if (attempt === 0) this.pending++;
    this.producer
      .send({
        topic: this.topic,
        value: Buffer.from(rec.value.buffer, rec.value.byteOffset, rec.value.byteLength),
        headers: {
          'tracefold-reason': rec.reason.slice(0, 1000),
          'tracefold-code': rec.code,
          'tracefold-encoding': rec.encoding,
          'tracefold-source-topic': rec.sourceTopic,
          'tracefold-partition': String(rec.partition),
          'tracefold-offset': String(rec.offset),
        },
      })
      .then(() => {
        this.pending--;
        this.onDelivered(rec);
      })
      .catch((err: Error) => {
        this.onRetry(err, rec);
        setTimeout(() => this.write(rec, attempt + 1), Math.min(30_000, 100 * 2 ** Math.min(attempt, 9)));
      });
  }

  get inFlight(): number {
    return this.pending;
  }
}
