/**
 * Applies the backpressure policy to the Kafka source: feeds it the current load (outstanding
 * work from the watermark, the workers' input queues, whether writes are failing) and pauses or
 * resumes the partitions whose state changes.
 */
import { Backpressure } from '../source/kafka/backpressure.js';
import type { KafkaSource } from '../source/kafka/consumer.js';
import type { CommitWatermark } from '../source/kafka/watermark.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';

/** What flow control needs of the source. */
export type PausableSource = Pick<KafkaSource, 'assignments' | 'pause' | 'resume' | 'pausedCount'>;

export interface FlowLimits {
  maxOutstandingBytes: number;
  maxOutstandingMessages: number;
  /** Resume below this fraction of the limits. */
  lowWaterRatio: number;
}

export interface FlowLoad {
  /** Batches dispatched and not yet decoded, per worker. */
  workerQueues: readonly number[];
  /** Some worker's writes are failing. */
  sinkFailing: boolean;
}

export class FlowControl {
  private readonly backpressure: Backpressure;

  constructor(
    limits: FlowLimits,
    private readonly watermark: CommitWatermark,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {
    this.backpressure = new Backpressure({
      highBytes: limits.maxOutstandingBytes,
      lowBytes: Math.floor(limits.maxOutstandingBytes * limits.lowWaterRatio),
      highMessages: limits.maxOutstandingMessages,
      lowMessages: Math.floor(limits.maxOutstandingMessages * limits.lowWaterRatio),
    });
  }

  apply(source: PausableSource, load: FlowLoad): void {
    const totals = this.watermark.totals();
    const partitions = source.assignments().map((tp) => ({ ...tp, ...this.watermark.outstanding(tp.topic, tp.partition) }));
    const decision = this.backpressure.update({
      partitions,
      totalBytes: totals.bytes,
      totalMessages: totals.messages,
      workerQueues: load.workerQueues,
      sinkFailing: load.sinkFailing,
    });
    if (decision.pause.length > 0) {
      source.pause(decision.pause);
      this.log.debug({ ...totals, sinkFailing: load.sinkFailing, partitions: decision.pause.length }, 'backpressure: paused');
    }
    if (decision.resume.length > 0) {
      source.resume(decision.resume);
      this.log.debug({ ...totals, partitions: decision.resume.length }, 'backpressure: resumed');
    }
    this.metrics.paused.set(source.pausedCount);
  }

  /** A revoked partition's pause state goes with it. */
  forget(topic: string, partition: number): void {
    this.backpressure.forget(topic, partition);
  }
}
