import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildBulkBodies, ceilingFractions, cpuBoundFraction } from '../../../bench/ceiling.js';
import { loadBaseTraces, TraceGen } from '../../../bench/traffic.js';

test('fractions of the ceiling are paired by position and summarized', () => {
  const f = ceilingFractions([10_000, 15_000, 20_000], [40_000, 30_000, 40_000]);
  assert.equal(f?.median, 0.5);
  assert.equal(f?.min, 0.25);
  assert.equal(f?.max, 0.5);
  assert.equal(f?.n, 3);
});

test('a round without a rate or a ceiling (did not complete) is left out; none left: undefined', () => {
  assert.equal(ceilingFractions([10_000, Number.NaN], [20_000, 40_000])?.n, 1);
  assert.equal(ceilingFractions([10_000], [Number.NaN]), undefined);
  assert.equal(ceilingFractions([10_000], [0]), undefined);
  assert.equal(ceilingFractions([], []), undefined);
});

test('the CPU bound: cores over the CPU both spend per document, as a fraction of the ceiling', () => {
  // 2 cores, 50 + 30 µs a document: 25,000 docs/s at most, against a ceiling of 40,000.
  assert.equal(cpuBoundFraction(2, 50, 30, 40_000), 0.625);
  assert.ok(Number.isNaN(cpuBoundFraction(2, Number.NaN, 30, 40_000)));
  assert.ok(Number.isNaN(cpuBoundFraction(2, 50, 30, 0)));
});

test('bulk bodies hold the documents tracefold would write, with the IDs the generator collects', () => {
  const bases = loadBaseTraces((_, spans) => spans < 100);
  const collected = new TraceGen(bases, { seed: 5, collectIds: true });
  const b = buildBulkBodies(new TraceGen(bases, { seed: 5 }), 'bench-ceiling-x', 300, 100);
  // The same seed makes the same traces: the bodies' IDs are the generator's.
  while ((collected.ids as Set<string>).size < b.ids.length) collected.trace();
  assert.deepEqual(new Set(b.ids), collected.ids);
  assert.ok(b.ids.length >= 300);
  assert.equal(b.bodies.length, Math.ceil(b.items / 100));
  const first = (b.bodies[0] as Buffer).toString('utf8').split('\n');
  assert.equal(first.length, 2 * 100 + 1);
  const action = JSON.parse(first[0] as string) as { index: { _index: string; _id: string } };
  assert.match(action.index._index, /^bench-ceiling-x-span-\d{4}-\d{2}-\d{2}$/);
  assert.equal(action.index._id, b.ids[0]);
});
