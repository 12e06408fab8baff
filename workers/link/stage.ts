/**
 * The trace-level dependency stage of one worker: every assembled trace (kept or sampled out) is
 * linked, counted in event-time windows (windows.ts) and, when a window seals, written as
 * `zipkin-dependency-*` bulk items; the same counts feed the live graph (`links` messages).
 * The pipeline calls it at trace flush, on ticks and on drain; nothing else depends on it.
 */
import type { DependencyIndexSettings } from './dependency-document.js';
import { dependencyBulkLines, dependencyDocuments } from './dependency-document.js';
import { type LinkFacts, linkSpanOfFacts } from './facts.js';
import { linkFacts } from './fast-linker.js';
import { linkTrace } from './linker.js';
import { type DependencyWindowOptions, DependencyWindows } from './windows.js';

export class DependencyStage {
  private readonly windows: DependencyWindows;
  private live = new Map<string, [string, string, number, number]>();

  constructor(
    private readonly index: DependencyIndexSettings,
    windows: DependencyWindowOptions = {},
  ) {
    this.windows = new DependencyWindows(windows);
  }

  /** One assembled trace (or late fragment of one). `nowMs` dates a trace without timestamps. */
  onTrace(traceId: string, spans: readonly LinkFacts[], nowMs: number): void {
    if (spans.length === 0) return;
    const links = linkFacts(spans) ?? linkTrace(spans.map((s) => linkSpanOfFacts(traceId, s)));
    let startMicros = Number.POSITIVE_INFINITY;
    for (const s of spans) if (s.timestamp > 0 && s.timestamp < startMicros) startMicros = s.timestamp;
    const startMs = Number.isFinite(startMicros) ? Math.floor(startMicros / 1000) : nowMs;
    this.windows.add(links, startMs, traceId, spans);
    for (const l of links) {
      const key = l.parent + '\u0000' + l.child;
      const e = this.live.get(key);
      if (e) {
        e[2] += l.callCount;
        e[3] += l.errorCount;
      } else {
        this.live.set(key, [l.parent, l.child, l.callCount, l.errorCount]);
      }
    }
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
    const out = [...this.live.values()];
    this.live = new Map();
    return out;
  }

  get openGroups(): number {
    return this.windows.openGroups;
  }
}
