/**
 * Rare shapes: a trace's shape is what it did, not when or with which IDs — the set of
 * (service, span name) nodes and parent → child edges between them. The first `perInterval` traces
 * of each shape in every interval are kept; the many traces alike after them are thinned. A shape
 * never seen before is therefore always kept.
 */
import { hash } from 'node:crypto';
import type { SpanFacts, TraceSummary } from '../../assemble/facts.js';
import type { SamplePolicy } from '../policy.js';

const MAX_SHAPES = 100_000;

/** The shape signature of a trace: order-free, timing-free, ID-free. */
export function shapeOf(spans: readonly SpanFacts[]): string {
  const byId = new Map<string, SpanFacts>();
  for (const f of spans) if (!byId.has(f.id) || f.kind === 'SERVER') byId.set(f.id, f);
  const parts = new Set<string>();
  for (const f of spans) {
    const node = f.service + '\u0001' + f.name + '\u0001' + f.kind;
    parts.add(node);
    const parent = f.parentId === '' ? undefined : byId.get(f.parentId);
    if (parent !== undefined) parts.add(parent.service + '\u0001' + parent.name + '\u0001' + parent.kind + '\u0002' + node);
  }
  // A digest, not the text: a shape of a 1,000-span trace is kilobytes, and many are remembered.
  return hash('sha1', [...parts].sort().join('\u0003'), 'base64');
}

interface Seen {
  interval: number;
  count: number;
}

export class RareShape implements SamplePolicy {
  private seen = new Map<string, Seen>();

  constructor(
    readonly name: string,
    private readonly perInterval: number,
    private readonly intervalMs: number,
  ) {}

  keeps(trace: TraceSummary, now: number): boolean {
    const shape = shapeOf(trace.spans);
    const interval = Math.floor(now / this.intervalMs);
    let s = this.seen.get(shape);
    if (s === undefined) {
      // Forgetting every shape at once keeps memory bounded and errs towards keeping.
      if (this.seen.size >= MAX_SHAPES) this.seen = new Map();
      s = { interval, count: 0 };
      this.seen.set(shape, s);
    } else if (s.interval !== interval) {
      s.interval = interval;
      s.count = 0;
    }
    if (s.count >= this.perInterval) return false;
    s.count++;
    return true;
  }
}
