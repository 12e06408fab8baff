/**
 * The catalogue of pipeline counters a worker reports (protocol.ts StatsMessage) and the
 * accumulator of their deltas between reports. Names and label names are defined here once; the
 * coordinator folds the samples into Prometheus series without parsing anything: sampling and
 * quality counters into their own families, every other counter into
 * `tracefold_pipeline_events_total{event,encoding,reason}` (a label it does not have is "").
 */

export type PipelineLabel = 'encoding' | 'reason' | 'policy' | 'decision' | 'rule' | 'action' | 'service';

/** Counter name → its label names, in a fixed order. */
export const PIPELINE_COUNTERS = {
  spans_decoded: ['encoding'],
  decode_errors: ['encoding', 'reason'],
  messages_empty: [],
  spans_filtered: ['reason'],
  spans_forwarded: [],
  /** Stage 1: spans produced to the trace-keyed topic, and the keyed records (traces per batch) carrying them. */
  spans_rekeyed: [],
  records_rekeyed: [],
  /** Stage 2: traces met on a second partition (the input is not keyed by trace ID). */
  traces_split_partitions: [],
  /** Stage 2: decisions of flushed traces sent to the decision log, and decisions read back from it on an assignment. */
  decisions_logged: [],
  decisions_restored: [],
  spans_late: ['reason'],
  traces_flushed: ['reason'],
  spans_flushed: ['reason'],
  spans_rejected: ['reason'],
  /** Spans the sink acknowledged as written (in a dry run: taken by the null sink). */
  spans_written: [],
  autocomplete_dropped: ['reason'],
  bulk_retries: ['reason'],
  /** Sampling decisions per assembled trace, and the spans they covered. */
  traces_sampled: ['policy', 'decision'],
  spans_sampled: ['policy', 'decision'],
  /** Data-quality rules applied to a span: fixed, dropped or quarantined (service: the span's local service). */
  quality: ['rule', 'action', 'service'],
  /** Dependency-link documents written, and those the search engine refused. */
  dependency_docs: [],
  dependency_docs_dropped: ['reason'],
} as const satisfies Record<string, readonly PipelineLabel[]>;

export type PipelineCounter = keyof typeof PIPELINE_COUNTERS;

/** Exactly the labels counter `C` has, each with its value. */
export type LabelsOf<C extends PipelineCounter> = { readonly [L in (typeof PIPELINE_COUNTERS)[C][number]]: string };

/** One counter's increment for one label set; plain data, cloned across the thread boundary. */
export type CounterSample = {
  [C in PipelineCounter]: { name: C; labels: LabelsOf<C>; value: number };
}[PipelineCounter];

/** The value of `label` in a sample, "" when its counter has no such label (Prometheus' absent label). */
export function labelValue(sample: CounterSample, label: PipelineLabel): string {
  return (sample.labels as Partial<Record<PipelineLabel, string>>)[label] ?? '';
}

/** Counter deltas a worker accumulates between stats reports. */
export class StatsCounters {
  /** name → label values, length-prefixed (no two label sets collide), in the catalogue's order → sample. Never leaves the worker. */
  private samples = new Map<PipelineCounter, Map<string, CounterSample>>();

  inc<C extends PipelineCounter>(name: C, labels: LabelsOf<C>, n = 1): void {
    if (n === 0) return;
    let byLabels = this.samples.get(name);
    if (byLabels === undefined) {
      byLabels = new Map();
      this.samples.set(name, byLabels);
    }
    const names = PIPELINE_COUNTERS[name] as readonly PipelineLabel[];
    const values = labels as Partial<Record<PipelineLabel, string>>;
    let key = '';
    for (const l of names) {
      const v = values[l] as string;
      key += `${v.length}:${v}`;
    }
    const sample = byLabels.get(key);
    if (sample !== undefined) sample.value += n;
    else byLabels.set(key, { name, labels, value: n } as CounterSample);
  }

  /** Returns the deltas and starts over. */
  take(): CounterSample[] {
    const out: CounterSample[] = [];
    for (const byLabels of this.samples.values()) for (const s of byLabels.values()) out.push(s);
    this.samples = new Map();
    return out;
  }
}
