/** Folds the workers' stats reports into Prometheus metrics, the run's totals and the sink's health. */
import type { StatsMessage } from '../../workers/protocol.js';
import type { Metrics } from '../telemetry/metrics.js';
import { PipelineTotals } from './pipeline-totals.js';
import type { SinkHealth } from './sink-health.js';

export class WorkerStats {
  /** Pipeline counters summed over all workers (for summaries). */
  readonly totals = new PipelineTotals();

  constructor(
    private readonly metrics: Metrics,
    private readonly sinkHealth: SinkHealth,
  ) {}

  onStats(worker: number, msg: StatsMessage): void {
    const w = String(worker);
    const m = this.metrics;
    m.addWorkerCounters(msg.counters);
    this.totals.add(msg.counters);
    m.bufferedSpans.labels(w).set(msg.gauges.bufferedSpans);
    m.bufferedTraces.labels(w).set(msg.gauges.bufferedTraces);
    m.bufferedBytes.labels(w).set(msg.gauges.bufferedBytes);
    m.bulkInFlight.labels(w).set(msg.gauges.bulkInFlight);
    m.sinkFailing.labels(w).set(msg.gauges.sinkFailingMs / 1000);
    m.workerHeap.labels(w, 'used').set(msg.gauges.heapUsedBytes);
    m.workerHeap.labels(w, 'total').set(msg.gauges.heapTotalBytes);
    m.workerHeap.labels(w, 'external').set(msg.gauges.externalBytes);
    this.sinkHealth.report(worker, msg.gauges.sinkFailingMs, msg.sinkFailure);
    for (const s of msg.bulkLatencies) m.bulkLatency.observe(s);
    if (msg.gcPauseMs > 0) m.workerGcPause.labels(w).inc(msg.gcPauseMs / 1000);
  }

  /** Batches dispatched to each worker and not yet decoded: the pool counts them, not the workers. */
  onQueues(queues: readonly number[]): void {
    for (let w = 0; w < queues.length; w++) this.metrics.workerQueue.labels(String(w)).set(queues[w] as number);
  }
}
