import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { QuietClock } from '../../../../src/ingest/quiet-clock.js';

let ids = 0;
/** A batch of `key` read at wall time `at` and decoded at once. */
function decodedBatch(c: QuietClock, key: string, newest: number, behind: boolean, at: number): void {
  const id = ++ids;
  c.read(id, key, newest, behind, at);
  c.decoded(id);
}

describe('QuietClock', () => {
  it('is wall time when no partition is behind, or when turned off', () => {
    const c = new QuietClock(30_000, 250);
    decodedBatch(c, 'a', 5_000, false, 9_000);
    decodedBatch(c, 'b', 1_000, false, 9_000);
    assert.equal(c.complete(10_000), 10_000);
    const off = new QuietClock(0, 250);
    decodedBatch(off, 'a', 5_000, false, 9_000);
    decodedBatch(off, 'b', 1_000, true, 9_000);
    assert.equal(off.complete(10_000), 10_000);
  });

  it('stays at the wall time by which the leading partition had read what the lagging one has read now', () => {
    const c = new QuietClock(30_000, 1_000);
    // Wall 1 s: both read to record time 50 s. Wall 2 s: a is ahead at 60 s, b at 52 s (behind).
    decodedBatch(c, 'a', 50_000, true, 1_000);
    decodedBatch(c, 'b', 50_000, true, 1_000);
    assert.equal(c.complete(1_000), 1_000);
    decodedBatch(c, 'a', 60_000, true, 2_000);
    decodedBatch(c, 'b', 52_000, true, 2_000);
    // Only what was read by wall 1 s (record times ≤ 50 s) is complete.
    assert.equal(c.complete(2_000), 1_000);
    decodedBatch(c, 'a', 70_000, true, 3_000);
    decodedBatch(c, 'b', 61_000, true, 3_000);
    // b passed 60 s, what a had at wall 2 s; a's 70 s (wall 3 s) is not reached yet.
    assert.equal(c.complete(3_000), 2_000);
    // a caught up (nothing left to read): only b holds, and b reached a's newest.
    decodedBatch(c, 'a', 70_000, false, 4_000);
    decodedBatch(c, 'b', 70_000, true, 4_000);
    assert.equal(c.complete(4_000), 4_000);
  });

  it('never goes back, and never lags wall time by more than maxHoldMs', () => {
    const c = new QuietClock(5_000, 1_000);
    decodedBatch(c, 'a', 100_000, false, 10_000);
    assert.equal(c.complete(10_000), 10_000);
    // A partition hours behind shows up (and keeps delivering): the clock stops (it cannot go back) ...
    const late = (at: number): void => decodedBatch(c, 'late', 1_000 + at, true, at);
    late(10_500);
    assert.equal(c.complete(11_000), 10_000);
    late(13_500);
    assert.equal(c.complete(14_000), 10_000);
    late(14_500);
    assert.equal(c.complete(15_000), 10_000);
    // ... and then follows wall time at the longest hold.
    late(15_500);
    assert.equal(c.complete(16_000), 11_000);
    late(19_500);
    assert.equal(c.complete(20_000), 15_000);
  });

  it('a forgotten partition (revoked, or its replay range done) holds nothing back', () => {
    const c = new QuietClock(30_000, 1_000);
    decodedBatch(c, 'a', 60_000, true, 1_000);
    assert.equal(c.complete(1_000), 1_000);
    decodedBatch(c, 'b', 10_000, true, 2_000);
    assert.equal(c.complete(2_000), 1_000);
    c.end('b');
    assert.equal(c.complete(3_000), 3_000);
  });

  it('a partition with records left that delivers nothing for 2 s holds nothing back (transaction markers, a pause)', () => {
    const c = new QuietClock(30_000, 1_000);
    decodedBatch(c, 'a', 60_000, false, 1_000);
    decodedBatch(c, 'b', 50_000, true, 1_000);
    // Behind from the first tick on, with no earlier wall time at which a had read only 50 s: the longest hold.
    assert.equal(c.complete(1_000), 1_000 - 30_000);
    assert.equal(c.complete(2_999), 2_999 - 30_000);
    assert.equal(
      c.complete(3_000, (k) => k === 'b'),
      3_000 - 30_000,
      'paused: it still has records to deliver',
    );
    assert.equal(c.complete(3_001), 3_001);
  });

  it('partitions within the slack of each other count as read to the same moment', () => {
    const c = new QuietClock(30_000, 1_000, 1_000);
    decodedBatch(c, 'a', 50_000, true, 1_000);
    decodedBatch(c, 'b', 50_000, true, 1_000);
    assert.equal(c.complete(1_000), 1_000);
    decodedBatch(c, 'a', 51_000, true, 2_000);
    decodedBatch(c, 'b', 50_000, true, 2_000);
    assert.equal(c.complete(2_000), 2_000);
    decodedBatch(c, 'a', 51_001, true, 3_000);
    assert.equal(c.complete(3_000), 2_000);
  });

  it('records without a time hold nothing back', () => {
    const c = new QuietClock(30_000, 1_000);
    decodedBatch(c, 'a', 60_000, true, 1_000);
    decodedBatch(c, 'b', 0, true, 1_000);
    assert.equal(c.complete(1_000), 1_000);
    decodedBatch(c, 'b', 0, true, 2_000);
    assert.equal(c.complete(2_000), 2_000);
  });

  it('a batch read but not decoded yet keeps its partition behind, even when it was the last one', () => {
    const c = new QuietClock(30_000, 1_000);
    decodedBatch(c, 'a', 60_000, false, 1_000);
    decodedBatch(c, 'b', 50_000, false, 1_000);
    assert.equal(c.complete(1_000), 1_000);
    // b's next batch (records up to 59 s, nothing after it) waits in a worker's queue.
    c.read(100_000, 'b', 59_000, false, 1_500);
    c.end('b');
    decodedBatch(c, 'a', 70_000, false, 2_000);
    assert.equal(c.complete(2_000), 1_000, 'b is decoded to 50 s only: what a had at 1 s (60 s) is not complete');
    assert.equal(c.complete(9_000), 1_000, 'a batch waiting in a queue does not go stale');
    // Decoded: b was the end of its range, so it is forgotten and holds nothing back.
    c.decoded(100_000);
    assert.equal(c.complete(10_000), 10_000);
    c.decoded(100_000);
    c.decoded(12345);
    assert.equal(c.complete(11_000), 11_000, 'unknown and repeated batch ids are ignored');
  });
});
