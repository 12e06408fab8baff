/**
 * Commits the offsets the watermark says are done; a failed commit offers every position again next
 * time. With a gate (stage 2's decision log), the positions done now are committed only once what
 * the gate waits for is done: see sink/decisions/log.ts. `flush` (before partitions are given up,
 * and at shutdown) also waits, bounded, until the group confirms the commit.
 */
import { within } from '../async/within.js';
import type { KafkaSource } from '../source/kafka/consumer.js';
import type { CommitWatermark } from '../source/kafka/watermark.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';

type Offsets = ReturnType<CommitWatermark['commitable']>;

export class OffsetCommitter {
  private commitAll = false;

  constructor(
    private readonly source: Pick<KafkaSource, 'commit' | 'commitConfirmed'>,
    private readonly watermark: CommitWatermark,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    /** Undefined: commit now; a promise: commit the positions taken now once it resolves. */
    private readonly gate: () => Promise<void> | undefined = () => undefined,
  ) {}

  /** Sends what moved since the last commit (the periodic commit). */
  commit(): void {
    const offsets = this.watermark.commitable(this.commitAll);
    this.commitAll = false;
    if (offsets.length === 0) return;
    const wait = this.gate();
    if (wait === undefined) this.send(offsets);
    else void wait.then(() => this.send(offsets));
  }

  /**
   * Commits every position done now and waits until the group confirms it, at most `timeoutMs`
   * (gate included): true when confirmed. Unconfirmed, the positions are offered again next time and
   * the records after the last confirmed commit are delivered again (writes are idempotent).
   */
  async flush(timeoutMs: number): Promise<boolean> {
    const offsets = this.watermark.commitable(true);
    this.commitAll = false;
    if (offsets.length === 0) return true;
    const deadline = Date.now() + timeoutMs;
    const wait = this.gate();
    if (wait !== undefined && !(await within(wait, timeoutMs))) {
      this.commitAll = true;
      return false;
    }
    try {
      const ok = await this.source.commitConfirmed(offsets, Math.max(0, deadline - Date.now()));
      this.counted(offsets, ok ? 'ok' : 'unconfirmed');
      if (!ok) this.commitAll = true;
      return ok;
    } catch (err) {
      this.failed(err as Error);
      return false;
    }
  }

  private send(offsets: Offsets): void {
    try {
      this.source.commit(offsets);
      this.counted(offsets, 'ok');
    } catch (err) {
      this.failed(err as Error);
    }
  }

  private counted(offsets: Offsets, result: 'ok' | 'unconfirmed'): void {
    this.metrics.commits.labels(result).inc();
    if (result === 'ok') for (const o of offsets) this.metrics.committedOffset.labels(o.topic, String(o.partition)).set(o.offset);
  }

  private failed(err: Error): void {
    this.metrics.commits.labels('error').inc();
    this.log.warn({ err: err.message }, 'offset commit failed; will retry on the next interval');
    // Offer every done position again next time, not only those that moved.
    this.commitAll = true;
  }
}
