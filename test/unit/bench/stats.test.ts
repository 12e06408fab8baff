import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bytes, formatSummary, median, pairedRatios, percentile, percentileSorted, si, summarize } from '../../../bench/stats.js';

test('median of odd and even counts, input order irrelevant', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([7]), 7);
});

test('median does not reorder its input', () => {
  const xs = [3, 1, 2];
  median(xs);
  assert.deepEqual(xs, [3, 1, 2]);
});

test('percentile interpolates linearly between closest ranks', () => {
  const xs = [10, 20, 30, 40, 50];
  assert.equal(percentile(xs, 0), 10);
  assert.equal(percentile(xs, 100), 50);
  assert.equal(percentile(xs, 50), 30);
  assert.equal(percentile(xs, 25), 20);
  assert.equal(percentile(xs, 90), 46);
  assert.equal(percentile([1, 2], 99), 1.99);
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(hundred, 99), 99.01);
  assert.equal(percentileSorted(hundred, 50), 50.5);
});

test('percentile rejects empty input, out-of-range p and non-finite values', () => {
  assert.throws(() => percentile([], 50), RangeError);
  assert.throws(() => percentile([1], -1), RangeError);
  assert.throws(() => percentile([1], 101), RangeError);
  assert.throws(() => percentile([1, Number.NaN], 50), RangeError);
});

test('summarize gives median, min, max and spread relative to the median', () => {
  const s = summarize([90, 110, 100]);
  assert.equal(s.median, 100);
  assert.equal(s.min, 90);
  assert.equal(s.max, 110);
  assert.equal(s.n, 3);
  assert.equal(s.spreadPct, 20);
  assert.equal(summarize([5]).spreadPct, 0);
  assert.equal(summarize([0, 0]).spreadPct, 0);
});

test('paired ratios divide run by run and need equal lengths', () => {
  assert.deepEqual(pairedRatios([2, 9], [1, 3]), [2, 3]);
  assert.throws(() => pairedRatios([1], [1, 2]), RangeError);
});

test('formatting: SI suffixes, binary bytes, median with range', () => {
  assert.equal(si(123456), '123k');
  assert.equal(si(1_234_567), '1.23M');
  assert.equal(si(999), '999');
  assert.equal(si(0.5), '0.500');
  assert.equal(bytes(512), '512 B');
  assert.equal(bytes(1536), '1.5 KiB');
  assert.equal(bytes(3 * 1024 * 1024), '3.0 MiB');
  assert.equal(formatSummary(summarize([1000, 2000, 3000])), '2.00k (1.00k–3.00k)');
  assert.equal(formatSummary(summarize([1000])), '1.00k');
});
