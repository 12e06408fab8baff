import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chunks, completedRatios, completionVerdict, incompleteText, type RatedRun } from '../../../bench/completion.js';

test('complete only when every expected ID is found; extras are counted, not held against it', () => {
  const c = completionVerdict(['a', 'b', 'c'], new Set(['a', 'b', 'c']), 5);
  assert.deepEqual(c, { expected: 3, found: 3, missing: 0, extra: 2, complete: true, missingSample: [] });
  assert.equal(incompleteText(c, 'whatever'), undefined);
});

test('a count that reaches the expected number is not enough: missing IDs make the run incomplete', () => {
  // 3 documents in the index (the expected number) but one of them is a stranger.
  const c = completionVerdict(['a', 'b', 'c'], new Set(['a', 'b']), 3);
  assert.equal(c.complete, false);
  assert.equal(c.missing, 1);
  assert.equal(c.extra, 1);
  assert.deepEqual(c.missingSample, ['c']);
  assert.equal(incompleteText(c, undefined), 'did not complete: 2 of 3 stored, expected documents missing');
});

test('a stalled run is reported with its reason', () => {
  const c = completionVerdict(['a', 'b', 'c', 'd'], new Set(['a']), 1);
  assert.equal(incompleteText(c, 'no progress for 20 s'), 'did not complete: 1 of 4 stored, no progress for 20 s');
});

test('the missing sample stops at five IDs', () => {
  const ids = Array.from({ length: 20 }, (_, i) => `id${i}`);
  assert.deepEqual(completionVerdict(ids, new Set(), 0).missingSample, ['id0', 'id1', 'id2', 'id3', 'id4']);
});

test('chunks: fixed slices, the last one shorter; no slice for no items', () => {
  assert.deepEqual(chunks([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);
  assert.deepEqual(chunks([], 3), []);
  assert.throws(() => chunks([1], 0), RangeError);
});

const run = (n: number, complete: boolean, drain: number, steady = drain): RatedRun => ({
  run: n,
  complete,
  drainDocsPerSec: drain,
  activeDocsPerSec: drain * 1.1,
  steadyDocsPerSec: steady,
  wallDocsPerSec: drain / 2,
});

test('ratios are paired by round and only over rounds where both runs completed', () => {
  const tf = [run(1, true, 300), run(2, true, 400), run(3, true, 500)];
  const zk = [run(1, true, 100), run(2, false, 10), run(3, true, 100)];
  const r = completedRatios(tf, zk);
  assert.equal(r.pairs, 2);
  assert.equal(r.drain?.median, 4); // 3× and 5×; round 2 (Zipkin incomplete) gives none
  assert.equal(r.drain?.min, 3);
  assert.equal(r.wall?.median, 4);
});

test('no completed pair: no ratio at all, a run missing a steady window only drops that ratio', () => {
  assert.deepEqual(completedRatios([run(1, false, 300)], [run(1, true, 100)]), { pairs: 0 });
  const r = completedRatios([run(1, true, 300, Number.NaN)], [run(1, true, 100)]);
  assert.equal(r.pairs, 1);
  assert.equal(r.steady, undefined);
  assert.equal(r.drain?.median, 3);
});

test('runs pair by run number, not by position', () => {
  const r = completedRatios([run(2, true, 200), run(1, true, 100)], [run(1, true, 100), run(2, true, 50)]);
  assert.equal(r.drain?.min, 1);
  assert.equal(r.drain?.max, 4);
});
