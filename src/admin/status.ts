/**
 * The JSON the status page polls (`/api/status`): a few totals and breakdowns read from the
 * Prometheus registry, so the page shows exactly what `/metrics` exports.
 */
import type { Metrics } from '../telemetry/metrics.js';

export interface StatusSnapshot {
  at: number;
  /** Kafka records consumed, all partitions. */
  consumedMessages: number;
  /** Spans decoded (in) and spans leaving the trace windows for the sink (out). */
  spansIn: number;
  spansOut: number;
  /** Lag per `topic/partition`. */
  lag: Record<string, number>;
  bufferedTraces: number;
  bufferedBytes: number;
  /** Decode errors (quarantined: dead-lettered records) and filtered spans, by reason. */
  quarantined: Record<string, number>;
  filtered: Record<string, number>;
  /** Flushed traces by flush reason; sampling decisions by policy once sampling reports them. */
  tracesFlushed: Record<string, number>;
  sampled: Record<string, number>;
  dependencyDocs: number;
}

interface MetricJson {
  name: string;
  values: { value: number; labels: Record<string, string | number> }[];
}

export async function statusSnapshot(metrics: Metrics, now: number): Promise<StatusSnapshot> {
  const all = (await metrics.registry.getMetricsAsJSON()) as unknown as MetricJson[];
  const values = (name: string): MetricJson['values'] => all.find((m) => m.name === name)?.values ?? [];
  const sum = (name: string): number => values(name).reduce((n, v) => n + v.value, 0);
  const s: StatusSnapshot = {
    at: now,
    consumedMessages: sum('tracefold_consumed_messages_total'),
    spansIn: 0,
    spansOut: 0,
    lag: {},
    bufferedTraces: sum('tracefold_buffered_traces'),
    bufferedBytes: sum('tracefold_buffered_bytes'),
    quarantined: {},
    filtered: {},
    tracesFlushed: {},
    sampled: {},
    dependencyDocs: 0,
  };
  for (const v of values('tracefold_consumer_lag')) s.lag[`${v.labels.topic}/${v.labels.partition}`] = v.value;
  const add = (into: Record<string, number>, key: string, n: number): void => {
    into[key || 'unknown'] = (into[key || 'unknown'] ?? 0) + n;
  };
  for (const v of values('tracefold_pipeline_events_total')) {
    const reason = String(v.labels.reason ?? '');
    switch (v.labels.event) {
      case 'spans_decoded':
        s.spansIn += v.value;
        break;
      case 'spans_flushed':
        s.spansOut += v.value;
        break;
      case 'decode_errors':
        add(s.quarantined, reason, v.value);
        break;
      case 'spans_filtered':
        add(s.filtered, reason, v.value);
        break;
      case 'traces_flushed':
        add(s.tracesFlushed, reason, v.value);
        break;
      case 'dependency_docs':
        s.dependencyDocs += v.value;
        break;
    }
  }
  for (const v of values('tracefold_sampling_decisions_total')) add(s.sampled, `${v.labels.policy} (${v.labels.decision})`, v.value);
  // Quality rules that set spans aside count with the decode errors: both are quarantined or dropped input.
  for (const v of values('tracefold_quality_rules_total')) {
    if (v.labels.action !== 'fix') add(s.quarantined, `${v.labels.rule} (${v.labels.action})`, v.value);
  }
  return s;
}
