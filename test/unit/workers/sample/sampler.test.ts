import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultMinSamples } from '../../../../src/config/stages.js';
import { FACT_DEBUG, FACT_ERROR, type SpanFacts, summarize, type TraceSummary } from '../../../../workers/assemble/facts.js';
import { KEEP_ALL_DECISION, SAMPLED_OUT, Sampler } from '../../../../workers/sample/index.js';
import { traceFraction } from '../../../../workers/sample/policies/probabilistic.js';
import { shapeOf } from '../../../../workers/sample/policies/shape.js';
import { SlidingQuantile } from '../../../../workers/sample/quantile.js';
import { createPrng } from '../../../helpers/prng.js';

const facts = (over: Partial<SpanFacts>): SpanFacts => ({
  id: 'a',
  parentId: '',
  kind: 'SERVER',
  service: 'front',
  remoteService: '',
  name: 'get /',
  timestamp: 1_000_000,
  duration: 1000,
  flags: 0,
  ...over,
});

const hex16 = (n: number): string => n.toString(16).padStart(16, '0');

/** A two-span trace: root `front get /` calling `svc name`. */
function trace(key: string, over: { child?: Partial<SpanFacts>; root?: Partial<SpanFacts> } = {}): TraceSummary {
  return summarize(key, [
    facts({ id: 'a', duration: 10, ...over.root }),
    facts({
      id: 'b',
      parentId: 'a',
      service: 'back',
      name: 'query',
      kind: 'CLIENT',
      timestamp: 1_000_100,
      duration: 500,
      ...over.child,
    }),
  ]);
}

describe('Sampler', () => {
  it('with no policy keeps everything and does not need whole traces', () => {
    const s = new Sampler({ policies: [], tagKept: true });
    assert.equal(s.wholeTrace, false);
    assert.equal(s.tagKept, false);
    assert.equal(s.decide(trace('1'), 0), KEEP_ALL_DECISION);
  });

  it('asks policies in order; the first that keeps names the decision; none keeping drops', () => {
    const s = new Sampler({
      policies: [
        { type: 'error', name: 'errors' },
        { type: 'debug', name: 'debug' },
      ],
      tagKept: true,
    });
    assert.equal(s.wholeTrace, true);
    assert.deepEqual(s.decide(trace('1', { child: { flags: FACT_ERROR | FACT_DEBUG } }), 0), { keep: true, policy: 'errors' });
    assert.deepEqual(s.decide(trace('2', { child: { flags: FACT_DEBUG } }), 0), { keep: true, policy: 'debug' });
    assert.equal(s.decide(trace('3'), 0), SAMPLED_OUT);
  });

  it('probabilistic: the same trace gets the same answer everywhere, and the rate holds', () => {
    const a = new Sampler({ policies: [{ type: 'probabilistic', name: 'base', rate: 0.1 }], tagKept: false });
    const b = new Sampler({ policies: [{ type: 'probabilistic', name: 'base', rate: 0.1 }], tagKept: false });
    const prng = createPrng(7);
    let kept = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const key = hex16(Math.floor(prng.next() * 2 ** 52));
      const da = a.decide(trace(key), i);
      assert.equal(da.keep, b.decide(trace(key), 1e9 - i).keep);
      if (da.keep) kept++;
    }
    assert.ok(Math.abs(kept / n - 0.1) < 0.01, `kept ${kept} of ${n}`);
    // The 64-bit and 128-bit forms of one trace share their key (the lower 64 bits).
    assert.equal(traceFraction('48485a3953bb6124'), traceFraction('48485a3953bb6124'));
  });

  it('rare shapes: the first K traces of each shape per interval are kept, a new shape always', () => {
    const s = new Sampler({ policies: [{ type: 'shape', name: 'shape', perInterval: 2, intervalMs: 60_000 }], tagKept: false });
    const decisions = [1, 2, 3, 4].map((i) => s.decide(trace(hex16(i)), 1000).keep);
    assert.deepEqual(decisions, [true, true, false, false]);
    assert.equal(s.decide(trace(hex16(5), { child: { name: 'other' } }), 1000).keep, true);
    // Timings and IDs are not part of a shape; the next interval starts over.
    assert.equal(s.decide(trace(hex16(6), { child: { duration: 99999, id: 'zz' } }), 2000).keep, false);
    assert.equal(s.decide(trace(hex16(7)), 61_000).keep, true);
  });

  it('shape signature ignores order, timing and IDs but not services, names or edges', () => {
    const t1 = [facts({ id: 'a' }), facts({ id: 'b', parentId: 'a', service: 'x', name: 'q' })];
    const t2 = [facts({ id: 'q', parentId: 'p', service: 'x', name: 'q', timestamp: 5 }), facts({ id: 'p', duration: 7 })];
    assert.equal(shapeOf(t1), shapeOf(t2));
    const flat = [facts({ id: 'a' }), facts({ id: 'b', service: 'x', name: 'q' })];
    assert.notEqual(shapeOf(t1), shapeOf(flat));
  });

  it('slow with a fixed threshold keeps traces longer than it', () => {
    const s = new Sampler({
      policies: [{ type: 'slow', name: 'slow', thresholdMs: 1, quantile: 0.99, intervalMs: 60_000, minSamples: 1 }],
      tagKept: false,
    });
    assert.equal(s.decide(trace('1'), 0).keep, false);
    assert.equal(s.decide(trace('2', { child: { duration: 5000 } }), 0).keep, true);
  });

  it('slow with a learned threshold: everything kept before minSamples, then the outliers of each root', () => {
    const s = new Sampler({
      policies: [{ type: 'slow', name: 'slow', quantile: 0.95, intervalMs: 60_000, minSamples: 100 }],
      tagKept: false,
    });
    const prng = createPrng(3);
    const kept: boolean[] = [];
    for (let i = 0; i < 1000; i++) {
      const d = 400 + Math.floor(prng.next() * 200);
      kept.push(s.decide(trace(hex16(i), { child: { duration: d } }), i).keep);
    }
    assert.ok(
      kept.slice(0, 100).every((k) => k),
      'before minSamples the threshold is unknown: kept',
    );
    const rate = kept.slice(100).filter(Boolean).length / 900;
    assert.ok(rate > 0.01 && rate < 0.1, `about 5 % of ordinary traces are above the 0.95 quantile, got ${rate}`);
    assert.equal(s.decide(trace('outlier', { child: { duration: 50_000 } }), 1000).keep, true);
    assert.equal(s.decide(trace('ordinary', { child: { duration: 450 } }), 1000).keep, false);
    // Another root has its own threshold, still unlearned: kept.
    assert.equal(s.decide(trace('other', { root: { name: 'post /' }, child: { duration: 450 } }), 1000).keep, true);
  });

  it('slow with a learned threshold: outliers that cluster early do not hide the next one (default minimum)', () => {
    // 4 of the first 16 traces are slow, then only ordinary ones: at 50 traces a 0.95 quantile is the
    // third longest, so with minSamples 50 the threshold is the slow traces' own duration until
    // about 80 traces, and a slow trace decided in between is not above it.
    const order = 'ccccsccccccsscc' + 's' + 'c'.repeat(45);
    const run = (minSamples: number): boolean => {
      const s = new Sampler({
        policies: [{ type: 'slow', name: 'slow', quantile: 0.95, intervalMs: 300_000, minSamples }],
        tagKept: false,
      });
      for (let i = 0; i < order.length; i++) s.decide(trace(hex16(i), { root: { duration: order[i] === 's' ? 20_000 : 1000 } }), 0);
      return s.decide(trace('late-slow', { root: { duration: 20_000 } }), 0).keep;
    };
    assert.equal(run(50), false, 'the failure this guards against: 50 samples are too few for a 0.95 quantile');
    assert.equal(run(defaultMinSamples(0.95)), true);
    // And once learned on enough traces, the slow one is above the threshold again.
    const s = new Sampler({
      policies: [{ type: 'slow', name: 'slow', quantile: 0.95, intervalMs: 300_000, minSamples: defaultMinSamples(0.95) }],
      tagKept: false,
    });
    for (let i = 0; i < 400; i++) s.decide(trace(hex16(i), { root: { duration: i < 16 && order[i] === 's' ? 20_000 : 1000 } }), 0);
    assert.equal(s.decide(trace('slow-after', { root: { duration: 20_000 } }), 0).keep, true);
    assert.equal(s.decide(trace('ordinary-after', { root: { duration: 1000 } }), 0).keep, false);
  });

  it('rate limit keeps at most perSecond traces per root service per second', () => {
    const s = new Sampler({ policies: [{ type: 'rate_limit', name: 'rate', perSecond: 3 }], tagKept: false });
    const at0 = Array.from({ length: 5 }, (_, i) => s.decide(trace(hex16(i)), 0).keep);
    assert.deepEqual(at0, [true, true, true, false, false]);
    assert.equal(s.decide(trace('x', { root: { service: 'other' } }), 0).keep, true);
    assert.equal(s.decide(trace(hex16(9)), 400).keep, true, 'refilled 1.2 tokens after 400 ms');
    assert.equal(s.decide(trace(hex16(10)), 400).keep, false);
    const only = new Sampler({ policies: [{ type: 'rate_limit', name: 'rate', perSecond: 3, service: 'front' }], tagKept: false });
    assert.equal(only.decide(trace('y', { root: { service: 'other' } }), 0).keep, false);
  });
});

describe('SlidingQuantile', () => {
  it('estimates within its bucket width and forgets intervals older than the previous one', () => {
    const q = new SlidingQuantile(1000, 0);
    for (let i = 1; i <= 1000; i++) q.add(i * 1000, 10);
    const p90 = q.quantile(0.9, 10);
    assert.ok(p90 >= 900_000 && p90 <= 900_000 * 1.05, `p90 ${p90}`);
    assert.equal(q.count(1500), 1000, 'the previous interval still counts');
    assert.equal(q.count(2500), 0, 'two intervals later it is gone');
    assert.ok(Number.isNaN(q.quantile(0.5, 2500)));
  });

  it('keeps its samples when the clock steps back across an interval boundary', () => {
    const q = new SlidingQuantile(1000, 0);
    for (let i = 0; i < 10; i++) q.add(5, 990);
    q.add(5, 1005);
    assert.equal(q.count(1005), 11);
    // A worker's batch clock runs a little ahead of the next tick, which may lie before the boundary.
    q.add(5, 998);
    assert.equal(q.count(998), 12, 'nothing forgotten');
    assert.equal(q.count(1010), 12);
  });
});
