/**
 * Commits the offsets the watermark says are done; a failed commit offers every position again next
 * time. With a gate (stage 2's decision log), the positions done now are committed only once what
 * the gate waits for is done: see sink/decisions/log.ts.
 */
import type { KafkaSource } from '../source/kafka/consumer.js';
import type { CommitWatermark } from '../source/kafka/watermark.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';

type Offsets = ReturnType<CommitWatermark['commitable']>;

export class OffsetCommitter {
  private commitAll = false;

  constructor(
    private readonly source: Pick<KafkaSource, 'commit'>,
    private readonly watermark: CommitWatermark,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    /** Undefined: commit now; a promise: commit the positions taken now once it resolves. */
    private readonly gate: () => Promise<void> | undefined = () => undefined,
  ) {}

  commit(sync: boolean): void {
    const offsets = this.watermark.commitable(this.commitAll);
    this.commitAll = false;
    if (offsets.length === 0) return;
    const wait = this.gate();
    if (wait === undefined) this.send(offsets, sync);
    else void wait.then(() => this.send(offsets, false));
  }

  private send(offsets: Offsets, sync: boolean): void {
    try {
      this.source.commit(offsets, sync);
      this.metrics.commits.labels('ok').inc();
      for (const o of offsets) this.metrics.committedOffset.labels(o.topic, String(o.partition)).set(o.offset);
    } catch (err) {
      this.metrics.commits.labels('error').inc();
      this.log.warn({ err: (err as Error).message }, 'offset commit failed; will retry on the next interval');
      // Offer every done position again next time, not only those that moved.
      this.commitAll = true;
    }
  }
}
