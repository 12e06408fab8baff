import type { Encoding } from '../../core/model/span.js';
/**
 * HTTP intake bodies go through the same workers and watermark as Kafka records, as records of a
 * pseudo-partition that is never committed; the request waits for its body's `decoded` answer.
 */
import type { BatchMessage, DecodedMessage } from '../../workers/protocol.js';
import type { CommitWatermark } from '../source/kafka/watermark.js';

/** Pseudo-topic of HTTP intake bodies in the watermark and dead-letter headers. */
export const HTTP_TOPIC = '(http)';

export class HttpSubmissions {
  private nextOffset = 0;
  private readonly waiters = new Map<number, (d: DecodedMessage) => void>();

  constructor(private readonly watermark: CommitWatermark) {}

  /** Registers `body` as batch `batchId`; hands the batch to `dispatch` and resolves when it is decoded. */
  /** `encoding` forces how the body is decoded (an OTLP/HTTP request); else it is detected. */
  submit(body: Buffer, batchId: number, dispatch: (batch: BatchMessage) => void, encoding?: Encoding): Promise<DecodedMessage> {
    const offset = this.nextOffset++;
    this.watermark.register(HTTP_TOPIC, 0, batchId, offset, offset, 1, body.length);
    const data = new ArrayBuffer(body.length);
    new Uint8Array(data).set(body);
    const done = new Promise<DecodedMessage>((resolve) => this.waiters.set(batchId, resolve));
    const batch: BatchMessage = {
      type: 'batch',
      batchId,
      topic: HTTP_TOPIC,
      partition: 0,
      data,
      ends: Uint32Array.of(body.length),
      offsets: Float64Array.of(offset),
    };
    if (encoding !== undefined) batch.encoding = encoding;
    dispatch(batch);
    return done;
  }

  /** Any batch's `decoded` answer; wakes the request when the batch was an HTTP body. */
  onDecoded(msg: DecodedMessage): void {
    const waiter = this.waiters.get(msg.batchId);
    if (waiter) {
      this.waiters.delete(msg.batchId);
      waiter(msg);
    }
  }
}
