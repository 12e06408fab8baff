/**
 * Dependency links aggregated in event-time windows, ready to become `zipkin-dependency-*`
 * documents that the stock Zipkin reader sums (`DependencyLinker.merge` over every document of the
 * days asked for).
 *
 * Idempotence (replay, restart after a crash) without a read-modify-write:
 * - A trace counts in the window of its own earliest timestamp (event time, never the clock), so
 *   re-reading the same spans puts each trace in the same window whatever the worker or the time.
 * - A window is emitted ("sealed") once this aggregator's event-time watermark (the latest trace
 *   start it saw) passes the window's end plus a grace period, or when the pipeline drains.
 * - Each emitted group of traces carries a digest of its membership: an order-independent sum of
 *   a hash per trace fragment (trace id plus its span ids). A document's `_id` is derived from
 *   (window, parent, child, trace count, digest). Writing the same group again — a replay of the
 *   range, or records redelivered after a crash before their offsets were committed — overwrites
 *   the same documents instead of adding to them.
 * - Traces arriving after their window was sealed ("late") are not dropped: they form a new group
 *   for that window with its own digest, hence new documents whose counts add to the earlier ones.
 *   The late group is sealed when the watermark has moved on by one grace period since it opened.
 * - Drain (shutdown) seals every open group: what was counted is written before offsets commit;
 *   traces read after restart form groups of their own, so nothing is counted twice or lost.
 * Known limit: a replay only reproduces a group exactly when the group's membership is the same,
 * i.e. when the same traces are on the same side of the seal; a trace that was late in one run and
 * on time in the other makes both groups differ, and that window's edges count twice. A window
 * wide against the grace (default one hour against five minutes) keeps this to stragglers.
 * Document count stays small for Zipkin's reader (it reads at most 10 000 per query): about
 * edges × windows per day × workers.
 */
import { EdgeCounts, FoundLinks } from './edges.js';
import type { Link } from './linker.js';

export interface DependencyWindowOptions {
  /** Window width in ms; must divide a day so windows never straddle a day index. [3 600 000] */
  windowMs?: number;
  /** How far the event-time watermark must pass a window's end before it is sealed. [300 000] */
  graceMs?: number;
}

/** One sealed group: the edges of a set of traces that started in one window. */
export interface DependencyGroup {
  /** Window start, epoch ms (UTC). */
  windowStart: number;
  /** Number of trace fragments counted. */
  traces: number;
  /** Order-independent digest of the trace fragments counted (hex). */
  digest: string;
  links: Link[];
}

interface OpenGroup {
  windowStart: number;
  /** Watermark when the group opened (late groups seal relative to it). */
  openedAt: number;
  late: boolean;
  traces: number;
  d1: number;
  d2: number;
  links: EdgeCounts;
}

const DAY_MS = 86_400_000;

export class DependencyWindows {
  readonly windowMs: number;
  readonly graceMs: number;
  private watermark = Number.NEGATIVE_INFINITY;
  private readonly open = new Map<number, OpenGroup>();
  /** Windows already sealed once: a trace for them opens a late group. */
  private readonly sealed = new Set<number>();

  constructor(opts: DependencyWindowOptions = {}) {
    this.windowMs = opts.windowMs ?? 3_600_000;
    this.graceMs = opts.graceMs ?? 300_000;
    if (!Number.isInteger(this.windowMs) || this.windowMs <= 0 || DAY_MS % this.windowMs !== 0) {
      throw new RangeError(`dependency window ${this.windowMs} ms must be a positive divisor of a day`);
    }
    if (!(this.graceMs >= 0)) throw new RangeError(`dependency grace ${this.graceMs} ms must be >= 0`);
  }

  /**
   * Counts one assembled trace (fragment): its links, its start (epoch ms) and identity.
   * A trace without links still advances the watermark.
   */
  add(links: readonly Link[], startMillis: number, traceId: string, spans: readonly { id: string }[]): void {
    const found = new FoundLinks();
    for (const l of links) found.push(l.parent, l.child, l.callCount, l.errorCount);
    const [sa, sb] = idHashSums(spans);
    this.addFound(found, startMillis, traceId, sa, sb, spans.length);
  }

  /**
   * `add` for the stage: the trace's links as found, and its identity as the `idHashSums` of its
   * `spanCount` span IDs (computed from whatever form the stage holds them in).
   */
  addFound(found: FoundLinks, startMillis: number, traceId: string, sa: number, sb: number, spanCount: number): void {
    if (startMillis > this.watermark) this.watermark = startMillis;
    if (found.length === 0) return;
    const windowStart = Math.floor(startMillis / this.windowMs) * this.windowMs;
    let g = this.open.get(windowStart);
    if (!g) {
      g = { windowStart, openedAt: this.watermark, late: this.sealed.has(windowStart), traces: 0, d1: 0, d2: 0, links: new EdgeCounts() };
      this.open.set(windowStart, g);
    }
    g.d1 = (g.d1 + fnv(sa.toString(16) + ':' + spanCount, fnv(traceId, 0x811c9dc5))) >>> 0;
    g.d2 = (g.d2 + fnv(sb.toString(16) + ':' + spanCount, fnv(traceId, 0x01000193 ^ 0x5bd1e995))) >>> 0;
    g.traces++;
    g.links.addAll(found);
  }

  /** Seals the groups the watermark has passed (or every group with `all`, on drain). */
  seal(all = false): DependencyGroup[] {
    const out: DependencyGroup[] = [];
    for (const [windowStart, g] of this.open) {
      const due = g.late ? g.openedAt + this.graceMs : windowStart + this.windowMs + this.graceMs;
      if (!all && this.watermark < due) continue;
      this.open.delete(windowStart);
      this.sealed.add(windowStart);
      out.push({
        windowStart,
        traces: g.traces,
        digest: g.d1.toString(16).padStart(8, '0') + g.d2.toString(16).padStart(8, '0'),
        links: g.links.list(),
      });
    }
    // Remember sealed windows only as long as a trace could still be late for them (a day).
    for (const w of this.sealed) if (w + DAY_MS < this.watermark) this.sealed.delete(w);
    return out.sort((a, b) => a.windowStart - b.windowStart);
  }

  /** Open groups (for metrics). */
  get openGroups(): number {
    return this.open.size;
  }
}

/**
 * Sums over the spans of both FNV-1a hashes of each ID (seeds 0x811c9dc5 and 0x9747b28c): the
 * order-independent part of a fragment's digest. `TraceColumns.idHashSums` gives the same from words.
 */
export function idHashSums(spans: readonly { id: string }[]): [number, number] {
  let sa = 0;
  let sb = 0;
  for (const s of spans) {
    // Both hashes of the ID in one walk over its characters.
    const id = s.id;
    let ha = 0x811c9dc5;
    let hb = 0x9747b28c;
    for (let i = 0; i < id.length; i++) {
      const c = id.charCodeAt(i);
      ha = Math.imul(ha ^ c, 0x01000193) >>> 0;
      hb = Math.imul(hb ^ c, 0x01000193) >>> 0;
    }
    sa = (sa + ha) >>> 0;
    sb = (sb + hb) >>> 0;
  }
  return [sa, sb];
}

function fnv(s: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
