/**
 * The workers' pipeline counters summed over the node's life (the replay summary and progress
 * read them; Prometheus gets the same samples through Metrics).
 */
import { type CounterSample, labelValue, PIPELINE_COUNTERS, type PipelineCounter, type PipelineLabel } from '../../workers/protocol.js';

export class PipelineTotals {
  /** counter → one summed sample per label set (a handful each: linear search is enough). */
  private readonly byCounter = new Map<PipelineCounter, CounterSample[]>();

  add(samples: readonly CounterSample[]): void {
    for (const s of samples) {
      let list = this.byCounter.get(s.name);
      if (list === undefined) {
        list = [];
        this.byCounter.set(s.name, list);
      }
      const labels = PIPELINE_COUNTERS[s.name] as readonly PipelineLabel[];
      const same = list.find((t) => labels.every((l) => labelValue(t, l) === labelValue(s, l)));
      if (same) same.value += s.value;
      else list.push({ ...s, labels: { ...s.labels } } as CounterSample);
    }
  }

  /** Everything counted under `name`, all labels together. */
  sum(name: PipelineCounter): number {
    let n = 0;
    for (const s of this.byCounter.get(name) ?? []) n += s.value;
    return n;
  }

  /**
   * `name`'s counts by the value of one of its labels (e.g. decode errors by reason), of the samples
   * `where` admits (all when absent).
   */
  by(name: PipelineCounter, label: PipelineLabel, where?: (s: CounterSample) => boolean): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this.byCounter.get(name) ?? []) {
      if (where !== undefined && !where(s)) continue;
      const v = labelValue(s, label) || 'unknown';
      out[v] = (out[v] ?? 0) + s.value;
    }
    return out;
  }
}
