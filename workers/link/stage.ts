/**
 * The trace-level dependency stage of one worker: every assembled trace (kept or sampled out) is
 * linked, counted in event-time windows (windows.ts) and, when a window seals, written as
 * `zipkin-dependency-*` bulk items; the same counts feed the live graph (`links` messages).
 * The pipeline calls it at trace flush, on ticks and on drain; nothing else depends on it.
 */
import { TraceColumns } from './columns.js';
import type { DependencyIndexSettings } from './dependency-document.js';
import { dependencyBulkLines, dependencyDocuments } from './dependency-document.js';
import { EdgeCounts, FoundLinks } from './edges.js';
import { type LinkFacts, linkSpanOfFacts } from './facts.js';
import { linkColumns } from './fast-linker.js';
import { linkTrace } from './linker.js';
import type { LinkRows } from './rows.js';
import { type DependencyWindowOptions, DependencyWindows, idHashSums } from './windows.js';

export class DependencyStage {
  private readonly windows: DependencyWindows;
  private live = new EdgeCounts();
  /** Scratch, refilled per trace: the trace as columns, the links found in it, its ID hash sums. */
  private readonly columns = new TraceColumns();
  private readonly found = new FoundLinks();
  private readonly sums = new Uint32Array(2);

  constructor(
    private readonly index: DependencyIndexSettings,
    windows: DependencyWindowOptions = {},
  ) {
    this.windows = new DependencyWindows(windows);
  }

  /** One assembled trace (or late fragment of one) as facts records. `nowMs` dates a trace without timestamps. */
  onTrace(traceId: string, spans: readonly LinkFacts[], nowMs: number): void {
    if (spans.length === 0) return;
    if (this.columns.fill(spans)) {
      this.count(traceId, nowMs, () => spans);
      return;
    }
    // IDs that are not hex words (none after normalisation): the general linker, over the strings.
    const found = this.found;
    found.clear();
    for (const l of linkTrace(spans.map((s) => linkSpanOfFacts(traceId, s)))) found.push(l.parent, l.child, l.callCount, l.errorCount);
    let startMicros = Number.POSITIVE_INFINITY;
    for (const s of spans) if (s.timestamp > 0 && s.timestamp < startMicros) startMicros = s.timestamp;
    const [sa, sb] = idHashSums(spans);
    this.record(traceId, Number.isFinite(startMicros) ? Math.floor(startMicros / 1000) : nowMs, sa, sb, spans.length);
  }

  /** `onTrace` for a trace held in link rows (write-through mode), read without a record per span. */
  onRows(traceId: string, rows: LinkRows, entries: readonly number[], nowMs: number): void {
    if (entries.length === 0) return;
    if (rows.copyTo(entries, this.columns)) this.count(traceId, nowMs, () => entries.map((row) => rows.facts(row)));
    else
      this.onTrace(
        traceId,
        entries.map((row) => rows.facts(row)),
        nowMs,
      );
  }

  /** Links and counts the trace in `columns`; `facts` gives it as records for the general linker. */
  private count(traceId: string, nowMs: number, facts: () => readonly LinkFacts[]): void {
    const c = this.columns;
    const startMicros = c.start();
    c.idHashSums(this.sums);
    const found = this.found;
    found.clear();
    if (!linkColumns(c, found)) {
      found.clear();
      for (const l of linkTrace(facts().map((s) => linkSpanOfFacts(traceId, s)))) found.push(l.parent, l.child, l.callCount, l.errorCount);
    }
    this.record(traceId, startMicros > 0 ? Math.floor(startMicros / 1000) : nowMs, this.sums[0] as number, this.sums[1] as number, c.n);
  }

  private record(traceId: string, startMs: number, sa: number, sb: number, spanCount: number): void {
    this.windows.addFound(this.found, startMs, traceId, sa, sb, spanCount);
    this.live.addAll(this.found);
  }

  /** Bulk lines (one item per document) of the windows due now, or of all on drain. */
  seal(all = false): string[] {
    const items: string[] = [];
    for (const g of this.windows.seal(all)) {
      for (const d of dependencyDocuments(g, this.index)) items.push(dependencyBulkLines([d], this.index.supportsTypes));
    }
    return items;
  }

  /** Edge counts since the last call, for the live graph. */
  takeLive(): [string, string, number, number][] {
    if (this.live.empty) return [];
    const out = this.live.list().map((l): [string, string, number, number] => [l.parent, l.child, l.callCount, l.errorCount]);
    this.live = new EdgeCounts();
    return out;
  }

  get openGroups(): number {
    return this.windows.openGroups;
  }
}
