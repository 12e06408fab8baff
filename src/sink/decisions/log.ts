/**
 * Stage 2's decision log: the sampling decision of every trace a node flushed, produced to
 * `<keyed topic>.decisions` on the trace's own partition number, keyed by trace key. When a keyed
 * partition changes owner (rebalance, crash), the new owner reads the last late-decision TTL of
 * that partition back (source/kafka/decisions.ts) before consuming it, so the rest of a trace in
 * flight follows the decision its first part got instead of being decided again as a fragment.
 *
 * Commits wait for it: a keyed offset is committed only after every decision received before the
 * commit was computed is acknowledged (`barrier`). Workers post a trace's decision before the
 * resolution of any of its spans, so a committed span's trace always has its decision in the log.
 * A failed delivery is retried (capped backoff), never dropped: commits wait meanwhile.
 */
import type { DecisionsMessage } from '../../../workers/protocol.js';
import type { OutgoingRecord } from '../../kafka/producer.js';

/** What the log needs of a producer (node-rdkafka's, or a fake in unit tests). */
export interface RecordProducer {
  send(record: OutgoingRecord): Promise<number>;
}

/** The decision topic of a keyed topic. */
export const decisionTopicOf = (keyedTopic: string): string => `${keyedTopic}.decisions`;

/** A decision record's value: small JSON, so `kcat` shows what was decided. */
export interface DecisionValue {
  keep: boolean;
  policy: string;
}

export class DecisionLog {
  private seq = 0;
  /** Sequence numbers produced and not yet acknowledged. */
  private readonly pending = new Set<number>();
  private waiters: Array<{ upTo: number; resolve: () => void }> = [];

  constructor(
    private readonly producer: RecordProducer,
    readonly topic: string,
    private readonly onDelivered: (n: number) => void,
    private readonly onRetry: (err: Error) => void,
  ) {}

  write(msg: DecisionsMessage): void {
    for (let i = 0; i < msg.keys.length; i++) {
      const value: DecisionValue = { keep: msg.keep[i] === true, policy: msg.policies[i] as string };
      this.send(++this.seq, msg.keys[i] as string, msg.partitions[i] as number, Buffer.from(JSON.stringify(value)), 0);
    }
  }

  private send(seq: number, key: string, partition: number, value: Buffer, attempt: number): void {
    if (attempt === 0) this.pending.add(seq);
    this.producer
      .send({ topic: this.topic, key, partition, value })
      .then(() => {
        this.pending.delete(seq);
        this.onDelivered(1);
        this.wake();
      })
      .catch((err: Error) => {
        this.onRetry(err);
        setTimeout(() => this.send(seq, key, partition, value, attempt + 1), Math.min(30_000, 100 * 2 ** Math.min(attempt, 9)));
      });
  }

  /**
   * Undefined when every decision written so far is acknowledged; else a promise that resolves once
   * they all are (later writes are not waited for).
   */
  barrier(): Promise<void> | undefined {
    if (this.pending.size === 0) return undefined;
    const upTo = this.seq;
    return new Promise((resolve) => this.waiters.push({ upTo, resolve }));
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    // Sequence numbers enter the set in increasing order, and a Set iterates in insertion order.
    const first = this.pending.values().next();
    const oldest = first.done === true ? Number.POSITIVE_INFINITY : first.value;
    const still: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (w.upTo < oldest) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }

  /** Decisions produced and not yet acknowledged. */
  get inFlight(): number {
    return this.pending.size;
  }
}
