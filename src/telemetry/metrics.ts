/**
 * The one catalogue of metric names and help texts. Label children are bound once per
 * partition/reason, never per span; workers send counter deltas up with their stats.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { type CounterSample, labelValue } from '../../workers/protocol.js';

export class Metrics {
  readonly registry = new Registry();
  readonly consumedMessages = new Counter({
    name: 'tracefold_consumed_messages_total',
    help: 'Kafka records consumed',
    labelNames: ['topic', 'partition'],
    registers: [this.registry],
  });
  readonly consumedBytes = new Counter({
    name: 'tracefold_consumed_bytes_total',
    help: 'Kafka record value bytes consumed',
    labelNames: ['topic', 'partition'],
    registers: [this.registry],
  });
  readonly consumerLag = new Gauge({
    name: 'tracefold_consumer_lag',
    help: 'High watermark minus next offset to consume',
    labelNames: ['topic', 'partition'],
    registers: [this.registry],
  });
  readonly committedOffset = new Gauge({
    name: 'tracefold_committed_offset',
    help: 'Last committed offset',
    labelNames: ['topic', 'partition'],
    registers: [this.registry],
  });
  readonly redelivered = new Counter({
    name: 'tracefold_kafka_redelivered_skipped_total',
    help: 'Records the Kafka client delivered again within one assignment (its fetch position went back), skipped',
    labelNames: ['topic', 'partition'],
    registers: [this.registry],
  });
  readonly commits = new Counter({
    name: 'tracefold_commits_total',
    help: 'Offset commits sent, by result: ok, error (refused at once), unconfirmed (a flush the group did not confirm in time)',
    labelNames: ['result'],
    registers: [this.registry],
  });
  readonly consumerReplacements = new Counter({
    name: 'tracefold_kafka_consumer_replacements_total',
    help: 'Kafka clients replaced after a fatal error (the node joined its group again with a new client)',
    registers: [this.registry],
  });
  readonly paused = new Gauge({
    name: 'tracefold_partitions_paused',
    help: 'Partitions paused by backpressure',
    registers: [this.registry],
  });
  readonly outstandingBytes = new Gauge({
    name: 'tracefold_outstanding_bytes',
    help: 'Bytes of consumed records not yet fully resolved',
    registers: [this.registry],
  });
  readonly outstandingMessages = new Gauge({
    name: 'tracefold_outstanding_messages',
    help: 'Consumed records not yet fully resolved',
    registers: [this.registry],
  });
  readonly deadLettered = new Counter({
    name: 'tracefold_dead_lettered_total',
    help: 'Records written to the dead-letter topic',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly decisionLog = new Counter({
    name: 'tracefold_decision_log_total',
    help:
      'Stage 2 decision log: decisions acknowledged by Kafka (delivered), produce attempts retried (retried), ' +
      'partition reads that failed or timed out (restore_failed), records read that were not a decision (malformed)',
    labelNames: ['event'],
    registers: [this.registry],
  });
  readonly workerCounters = new Counter({
    name: 'tracefold_pipeline_events_total',
    help: 'Pipeline events reported by workers (decoded spans, decode errors, filtered, flushes, late spans, bulk items)',
    labelNames: ['event', 'encoding', 'reason'],
    registers: [this.registry],
  });
  readonly configReloads = new Counter({
    name: 'tracefold_config_reloads_total',
    help: 'Configuration reloads (file change or SIGHUP) by result: applied, refused (errors; the running config stays), unchanged',
    labelNames: ['result'],
    registers: [this.registry],
  });
  readonly sampledTraces = new Counter({
    name: 'tracefold_sampling_decisions_total',
    help: 'Assembled traces by sampling decision (kept/dropped) and the policy that decided',
    labelNames: ['policy', 'decision'],
    registers: [this.registry],
  });
  readonly sampledSpans = new Counter({
    name: 'tracefold_sampled_spans_total',
    help: 'Spans by the sampling decision of their trace (kept/dropped) and policy, late spans of a decided trace included',
    labelNames: ['policy', 'decision'],
    registers: [this.registry],
  });
  readonly quality = new Counter({
    name: 'tracefold_quality_rules_total',
    help: 'Spans a data-quality rule fixed, dropped or quarantined, by rule and local service',
    labelNames: ['rule', 'action', 'service'],
    registers: [this.registry],
  });
  readonly bufferedSpans = new Gauge({
    name: 'tracefold_buffered_spans',
    help: 'Spans held in trace windows',
    labelNames: ['worker'],
    registers: [this.registry],
  });
  readonly bufferedTraces = new Gauge({
    name: 'tracefold_buffered_traces',
    help: 'Traces with an open window',
    labelNames: ['worker'],
    registers: [this.registry],
  });
  readonly bufferedBytes = new Gauge({
    name: 'tracefold_buffered_bytes',
    help: 'Bytes held in trace windows',
    labelNames: ['worker'],
    registers: [this.registry],
  });
  readonly bulkInFlight = new Gauge({
    name: 'tracefold_bulk_in_flight',
    help: 'Bulk requests in flight',
    labelNames: ['worker'],
    registers: [this.registry],
  });
  readonly sinkFailing = new Gauge({
    name: 'tracefold_sink_failing_seconds',
    help: 'How long every write attempt has failed (0: the last one succeeded)',
    labelNames: ['worker'],
    registers: [this.registry],
  });
  readonly workerGcPause = new Counter({
    name: 'tracefold_worker_gc_pause_seconds_total',
    help: "Time a worker thread was paused in garbage collection (its isolate's GC pauses; helper-thread work not included)",
    labelNames: ['worker'],
    registers: [this.registry],
  });
  readonly workerHeap = new Gauge({
    name: 'tracefold_worker_heap_bytes',
    help: "A worker thread's V8 heap: used (live and not yet collected objects), total (what the heap has reserved), external (memory outside the heap held by its objects, e.g. Buffers)",
    labelNames: ['worker', 'kind'],
    registers: [this.registry],
  });
  readonly workerQueue = new Gauge({
    name: 'tracefold_worker_input_queue',
    help: 'Batches dispatched to a worker and not yet decoded',
    labelNames: ['worker'],
    registers: [this.registry],
  });
  readonly bulkLatency = new Histogram({
    name: 'tracefold_bulk_latency_seconds',
    help: 'Bulk request latency',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly httpRequests = new Counter({
    name: 'tracefold_http_spans_requests_total',
    help: 'Span POSTs received on the HTTP intake',
    labelNames: ['status'],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'tracefold_' });
  }

  /** Folds one worker stats report's counter deltas in. */
  addWorkerCounters(counters: readonly CounterSample[]): void {
    for (const c of counters) {
      switch (c.name) {
        case 'traces_sampled':
          this.sampledTraces.labels(c.labels.policy, c.labels.decision).inc(c.value);
          break;
        case 'spans_sampled':
          this.sampledSpans.labels(c.labels.policy, c.labels.decision).inc(c.value);
          break;
        case 'quality':
          this.quality.labels(c.labels.rule, c.labels.action, c.labels.service).inc(c.value);
          break;
        default:
          this.workerCounters.labels(c.name, labelValue(c, 'encoding'), labelValue(c, 'reason')).inc(c.value);
      }
    }
  }
}
