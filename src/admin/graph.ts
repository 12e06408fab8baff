/**
 * The live service graph behind the admin port's `/api/graph`: link counts the workers report
 * (`links` messages), kept in fixed time slots over the last few minutes, served as nodes and
 * edges with call and error rates (per second, over the span actually covered) for Vizceral-style
 * tools and the status page. Memory is bounded: slots × edges seen in them.
 */

export interface GraphEdge {
  source: string;
  target: string;
  calls: number;
  errors: number;
  /** Calls per second over the graph's time span. */
  callRate: number;
  /** Share of calls that were errors, 0..1. */
  errorRate: number;
}

export interface GraphNode {
  name: string;
  /** Calls into this service per second (0 for pure callers). */
  inRate: number;
  /** Calls out of this service per second. */
  outRate: number;
}

export interface GraphSnapshot {
  /** Start and end of the period counted, epoch ms. */
  from: number;
  to: number;
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** The node derives no links (`dependencies.enabled: false`): the graph stays empty. */
  disabled?: true;
}

interface Slot {
  start: number;
  edges: Map<string, { source: string; target: string; calls: number; errors: number }>;
}

export class LiveGraph {
  private readonly slots: Slot[] = [];
  private firstAt = Number.POSITIVE_INFINITY;

  constructor(
    /** How far back the graph looks. [300 000 = 5 min] */
    readonly spanMs = 300_000,
    /** Slot width: the granularity old counts age out with. [10 000] */
    readonly slotMs = 10_000,
  ) {
    if (!(slotMs > 0 && spanMs >= slotMs)) throw new RangeError(`graph span ${spanMs} ms must be >= slot ${slotMs} ms > 0`);
  }

  add(at: number, edges: readonly (readonly [string, string, number, number])[]): void {
    if (edges.length === 0) return;
    this.firstAt = Math.min(this.firstAt, at);
    const start = Math.floor(at / this.slotMs) * this.slotMs;
    let slot = this.slots.find((s) => s.start === start);
    if (!slot) {
      slot = { start, edges: new Map() };
      this.slots.push(slot);
      this.slots.sort((a, b) => a.start - b.start);
    }
    for (const [source, target, calls, errors] of edges) {
      const key = source + '\u0000' + target;
      const e = slot.edges.get(key);
      if (e) {
        e.calls += calls;
        e.errors += errors;
      } else {
        slot.edges.set(key, { source, target, calls, errors });
      }
    }
    this.prune(at);
  }

  snapshot(now: number): GraphSnapshot {
    this.prune(now);
    const from = Math.max(now - this.spanMs, Math.min(this.firstAt, now));
    // Rates over the time actually covered, so a node that just started does not look idle.
    const seconds = Math.max(1, (now - from) / 1000);
    const sums = new Map<string, { source: string; target: string; calls: number; errors: number }>();
    for (const slot of this.slots) {
      for (const [key, e] of slot.edges) {
        const s = sums.get(key);
        if (s) {
          s.calls += e.calls;
          s.errors += e.errors;
        } else {
          sums.set(key, { ...e });
        }
      }
    }
    const nodes = new Map<string, GraphNode>();
    const node = (name: string): GraphNode => {
      let n = nodes.get(name);
      if (!n) {
        n = { name, inRate: 0, outRate: 0 };
        nodes.set(name, n);
      }
      return n;
    };
    const edges: GraphEdge[] = [];
    for (const e of sums.values()) {
      const callRate = e.calls / seconds;
      edges.push({ ...e, callRate, errorRate: e.calls > 0 ? e.errors / e.calls : 0 });
      node(e.source).outRate += callRate;
      node(e.target).inRate += callRate;
    }
    edges.sort((a, b) => (a.source + '\u0000' + a.target < b.source + '\u0000' + b.target ? -1 : 1));
    return { from, to: now, nodes: [...nodes.values()].sort((a, b) => (a.name < b.name ? -1 : 1)), edges };
  }

  private prune(now: number): void {
    const oldest = now - this.spanMs;
    while (this.slots.length > 0 && (this.slots[0] as Slot).start + this.slotMs <= oldest) this.slots.shift();
  }
}
