/**
 * Rare shapes: a trace's shape is what it did, not when or with which IDs — the set of
 * (service, span name) nodes and parent → child edges between them. The first `perInterval` traces
 * of each shape in every interval are kept; the many traces alike after them are thinned. A shape
 * never seen before is therefore always kept.
 */
import type { SpanFacts, TraceSummary } from '../../assemble/facts.js';
import { fmix32 } from '../../assemble/shard.js';
import type { SamplePolicy } from '../policy.js';

const MAX_SHAPES = 100_000;

/** Per-string hashes, cached: service and span names are interned, so they repeat as one object. */
const stringHashes = new Map<string, number>();

function hashString(s: string): number {
  let h = stringHashes.get(s);
  if (h !== undefined) return h;
  h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h = fmix32(h >>> 0);
  if (stringHashes.size >= 100_000) stringHashes.clear();
  stringHashes.set(s, h);
  return h;
}

const KIND_CODE: Record<string, number> = { '': 0, CLIENT: 1, SERVER: 2, PRODUCER: 3, CONSUMER: 4 };

/** A node (service, name, kind) as a 53-bit number: two 32-bit lanes, 21 bits of the second kept. */
function nodeHash(f: SpanFacts): number {
  const a = hashString(f.service);
  const b = hashString(f.name);
  const k = KIND_CODE[f.kind] ?? 0;
  const lo = fmix32((a ^ Math.imul(b, 0x9e3779b1) ^ k) >>> 0);
  const hi = fmix32((Math.imul(a, 0x85ebca6b) ^ b ^ (k << 24) ^ 0x27d4eb2f) >>> 0);
  return (hi & 0x1fffff) * 4294967296 + lo;
}

function edgeHash(parent: number, child: number): number {
  const lo = fmix32(((parent >>> 0) ^ Math.imul(child >>> 0, 0xcc9e2d51)) >>> 0);
  const hi = fmix32((Math.floor(parent / 4294967296) ^ Math.imul(Math.floor(child / 4294967296) + 1, 0x1b873593) ^ 0x5bd1e995) >>> 0);
  return (hi & 0x1fffff) * 4294967296 + lo;
}

/**
 * The shape signature of a trace: order-free, timing-free, ID-free. The set of node and edge hashes
 * (a repeated call is one edge, so loops of varying length are one shape) is folded by addition,
 * which does not depend on order: no sorting, no strings built per trace.
 */
export function shapeOf(spans: readonly SpanFacts[]): number {
  const n = spans.length;
  const nodes = new Array<number>(n);
  for (let i = 0; i < n; i++) nodes[i] = nodeHash(spans[i] as SpanFacts);
  // The parent of a span is the span with its parentId (the SERVER half when client and server share an ID).
  let byId: Map<string, number> | undefined;
  if (n > 16) {
    byId = new Map();
    for (let i = 0; i < n; i++) {
      const f = spans[i] as SpanFacts;
      if (!byId.has(f.id) || f.kind === 'SERVER') byId.set(f.id, i);
    }
  }
  const parts = new Set<number>();
  for (let i = 0; i < n; i++) {
    const f = spans[i] as SpanFacts;
    parts.add(nodes[i] as number);
    if (f.parentId === '') continue;
    let p = -1;
    if (byId !== undefined) p = byId.get(f.parentId) ?? -1;
    else {
      for (let j = 0; j < n; j++) {
        const g = spans[j] as SpanFacts;
        if (g.id === f.parentId && (p === -1 || g.kind === 'SERVER')) p = j;
      }
    }
    if (p >= 0) parts.add(edgeHash(nodes[p] as number, nodes[i] as number));
  }
  let lo = 0;
  let hi = 0;
  for (const v of parts) {
    lo = (lo + fmix32((v >>> 0) ^ 0x68e31da4)) >>> 0;
    hi = (hi + fmix32((Math.floor(v / 4294967296) ^ (v >>> 11) ^ 0xb5297a4d) >>> 0)) >>> 0;
  }
  return (hi & 0x1fffff) * 4294967296 + lo;
}

interface Seen {
  interval: number;
  count: number;
}

export class RareShape implements SamplePolicy {
  private seen = new Map<number, Seen>();

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
