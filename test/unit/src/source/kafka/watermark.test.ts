import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AccountingError, type AccountingErrorReason, CommitWatermark } from '../../../../../src/source/kafka/watermark.js';
import { createPrng } from '../../../../helpers/prng.js';

function expectAccounting(fn: () => void, reason: AccountingErrorReason): AccountingError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof AccountingError, `expected an AccountingError, got ${String(caught)}`);
  assert.equal(caught.reason, reason, caught.message);
  assert.equal(caught.code, 'TF_ACCOUNTING');
  return caught;
}

/** Three batches of 10 messages on t[0]: ids 1, 2, 3 at offsets 0-9, 10-19, 20-29. */
function threeBatches(): CommitWatermark {
  const wm = new CommitWatermark();
  wm.register('t', 0, 1, 0, 9, 10, 1_000);
  wm.register('t', 0, 2, 10, 19, 10, 1_000);
  wm.register('t', 0, 3, 20, 29, 10, 1_000);
  return wm;
}

describe('CommitWatermark: commit offsets', () => {
  it('commits past the longest done prefix only, whatever order batches complete in', () => {
    const wm = threeBatches();
    for (const id of [1, 2, 3]) wm.decoded(id, 5);
    assert.deepEqual(wm.commitable(), []);
    wm.resolve(2, 5);
    assert.deepEqual(wm.commitable(), [], 'batch 1 still holds offsets 0-9');
    wm.resolve(1, 4);
    assert.deepEqual(wm.commitable(), []);
    wm.resolve(1, 1);
    assert.deepEqual(wm.commitable(), [{ topic: 't', partition: 0, offset: 20 }]);
    assert.deepEqual(wm.commitable(), [], 'no progress since the last call');
    wm.resolve(3, 5);
    assert.deepEqual(wm.commitable(), [{ topic: 't', partition: 0, offset: 30 }]);
    assert.ok(wm.isIdle(), 'idle');
  });

  it('accepts resolutions before the decoded count arrives', () => {
    const wm = threeBatches();
    wm.resolve(1, 3);
    wm.resolve(1, 2);
    assert.deepEqual(wm.commitable(), []);
    wm.decoded(1, 7);
    assert.deepEqual(wm.commitable(), []);
    wm.resolve(1, 2);
    assert.deepEqual(wm.commitable(), [{ topic: 't', partition: 0, offset: 10 }]);
    wm.resolve(2, 4);
    wm.decoded(2, 4);
    assert.equal(wm.position('t', 0), 20);
  });

  it('treats a batch decoded into 0 units as done', () => {
    const wm = threeBatches();
    wm.decoded(1, 0);
    assert.deepEqual(wm.commitable(), [{ topic: 't', partition: 0, offset: 10 }]);
  });

  it('keeps partitions and topics apart', () => {
    const wm = new CommitWatermark();
    wm.register('a', 0, 1, 100, 109, 10, 10);
    wm.register('a', 1, 2, 5, 5, 1, 10);
    wm.register('b', 0, 3, 0, 0, 1, 10);
    wm.register('a', 0, 4, 110, 119, 10, 10);
    wm.decoded(4, 1);
    wm.resolve(4, 1);
    wm.decoded(2, 1);
    wm.resolve(2, 1);
    wm.decoded(3, 0);
    const got = wm.commitable().sort((x, y) => (x.topic + x.partition).localeCompare(y.topic + y.partition));
    assert.deepEqual(got, [
      { topic: 'a', partition: 1, offset: 6 },
      { topic: 'b', partition: 0, offset: 1 },
    ]);
    assert.equal(wm.position('a', 0), undefined, 'a[0] has nothing done at its head');
  });

  it('handles offset gaps (compaction, transaction markers)', () => {
    const wm = new CommitWatermark();
    wm.register('t', 0, 1, 0, 4, 3, 10);
    wm.register('t', 0, 2, 50, 60, 5, 10);
    wm.decoded(1, 0);
    wm.decoded(2, 0);
    assert.deepEqual(wm.commitable(), [{ topic: 't', partition: 0, offset: 61 }]);
  });

  it('commitable(true) repeats every known position (shutdown, failed commit)', () => {
    const wm = threeBatches();
    wm.register('t', 1, 4, 0, 0, 1, 1);
    wm.decoded(1, 0);
    assert.equal(wm.commitable().length, 1);
    assert.deepEqual(wm.commitable(true), [{ topic: 't', partition: 0, offset: 10 }]);
    assert.deepEqual(wm.commitable(), []);
  });

  it('compacts long queues without losing the prefix', () => {
    const wm = new CommitWatermark();
    for (let i = 0; i < 5_000; i++) wm.register('t', 0, i, i * 2, i * 2 + 1, 2, 1);
    for (let i = 0; i < 3_000; i++) wm.decoded(i, 0);
    assert.equal(wm.position('t', 0), 6_000);
    for (let i = 4_999; i >= 3_001; i--) wm.decoded(i, 0);
    assert.equal(wm.position('t', 0), 6_000);
    wm.decoded(3_000, 0);
    assert.equal(wm.position('t', 0), 10_000);
    assert.ok(wm.isIdle(), 'idle');
  });
});

describe('CommitWatermark: outstanding work', () => {
  it('tracks undone messages, bytes and batches per partition and in total', () => {
    const wm = threeBatches();
    wm.register('u', 2, 4, 0, 4, 5, 500);
    assert.deepEqual(wm.outstanding('t', 0), { messages: 30, bytes: 3_000, batches: 3 });
    assert.deepEqual(wm.totals(), { messages: 35, bytes: 3_500, batches: 4, partitions: 2 });
    wm.decoded(2, 0); // done but behind batch 1: no longer outstanding work
    assert.deepEqual(wm.outstanding('t', 0), { messages: 20, bytes: 2_000, batches: 2 });
    assert.deepEqual(wm.totals(), { messages: 25, bytes: 2_500, batches: 3, partitions: 2 });
    assert.deepEqual(wm.outstanding('u', 2), { messages: 5, bytes: 500, batches: 1 });
    assert.deepEqual(wm.outstanding('nope', 0), { messages: 0, bytes: 0, batches: 0 });
    assert.equal(wm.isIdle(), false);
  });
});

describe('CommitWatermark: revocation', () => {
  it('forgets a revoked partition and ignores late decodes and resolutions for it', () => {
    const wm = threeBatches();
    wm.register('t', 1, 4, 0, 0, 1, 100);
    wm.decoded(1, 2);
    wm.resolve(1, 2);
    assert.equal(wm.position('t', 0), 10, 'what to commit before confirming the revocation');
    assert.deepEqual(wm.revoke('t', 0), { messages: 20, bytes: 2_000, batches: 2 });
    assert.deepEqual(wm.commitable(), [], 'a revoked partition is never committed');
    wm.decoded(2, 3);
    wm.resolve(2, 3);
    wm.resolve(3, 1);
    assert.equal(wm.ignoredAfterRevoke, 3);
    assert.deepEqual(wm.totals(), { messages: 1, bytes: 100, batches: 1, partitions: 1 });
    assert.equal(wm.position('t', 0), undefined);
    // Re-assigned later: starts afresh, from the committed offset.
    wm.register('t', 0, 5, 10, 19, 10, 1_000);
    wm.decoded(5, 0);
    assert.deepEqual(wm.commitable(), [{ topic: 't', partition: 0, offset: 20 }]);
    assert.deepEqual(wm.revoke('x', 9), { messages: 0, bytes: 0, batches: 0 });
  });

  it('reports a resolution as a bug once the revoked id is no longer remembered', () => {
    const wm = new CommitWatermark({ revokedMemory: 1 });
    wm.register('t', 0, 1, 0, 0, 1, 1);
    wm.register('t', 0, 2, 1, 1, 1, 1);
    wm.revoke('t', 0);
    wm.resolve(2, 1);
    expectAccounting(() => wm.resolve(1, 1), 'unknown_batch');
  });
});

describe('CommitWatermark: accounting bugs are loud', () => {
  it('over-resolution after decoded, with context, and without corrupting state', () => {
    const wm = threeBatches();
    wm.decoded(2, 2);
    const err = expectAccounting(() => wm.resolve(2, 3), 'over_resolved');
    assert.deepEqual(err.context, {
      batchId: 2,
      topic: 't',
      partition: 0,
      firstOffset: 10,
      lastOffset: 19,
      units: 2,
      resolved: 0,
      count: 3,
    });
    assert.match(err.message, /batch 2/);
    wm.resolve(2, 2);
    assert.equal(wm.outstanding('t', 0).batches, 2);
  });

  it('over-resolution discovered when the count arrives', () => {
    const wm = threeBatches();
    wm.resolve(1, 5);
    expectAccounting(() => wm.decoded(1, 4), 'over_resolved');
  });

  it('a resolution for a done batch still waiting behind an undone one', () => {
    const wm = threeBatches();
    wm.decoded(2, 1);
    wm.resolve(2, 1);
    expectAccounting(() => wm.resolve(2, 1), 'over_resolved');
  });

  it('a resolution for a batch already committed past, or never registered', () => {
    const wm = threeBatches();
    wm.decoded(1, 0);
    expectAccounting(() => wm.resolve(1, 1), 'unknown_batch');
    expectAccounting(() => wm.resolve(99, 1), 'unknown_batch');
    expectAccounting(() => wm.decoded(99, 1), 'unknown_batch');
  });

  it('a batch decoded twice', () => {
    const wm = threeBatches();
    wm.decoded(3, 1);
    expectAccounting(() => wm.decoded(3, 1), 'decoded_twice');
  });

  it('bad registrations', () => {
    const wm = threeBatches();
    expectAccounting(() => wm.register('t', 0, 3, 30, 39, 10, 1), 'duplicate_batch');
    expectAccounting(() => wm.register('t', 1, 0, 0, 9, 10, 1), 'batch_id_order');
    expectAccounting(() => wm.register('t', 0, 4, 29, 39, 10, 1), 'offset_order');
    expectAccounting(() => wm.register('t', 0, 4, 40, 39, 10, 1), 'invalid_argument');
    expectAccounting(() => wm.register('t', 0, 4, -1, 39, 10, 1), 'invalid_argument');
    expectAccounting(() => wm.register('t', 0, 4.5, 40, 49, 10, 1), 'invalid_argument');
    wm.register('t', 0, 4, 30, 39, 10, 1);
  });

  it('bad counts', () => {
    const wm = threeBatches();
    expectAccounting(() => wm.decoded(1, -1), 'invalid_argument');
    expectAccounting(() => wm.resolve(1, 1.5), 'invalid_argument');
    expectAccounting(() => wm.resolve(1, -2), 'invalid_argument');
    expectAccounting(() => wm.resolveMany([1, 2], [1]), 'invalid_argument');
    wm.resolve(1, 0); // a zero count is a no-op, even for ids nobody knows
    wm.resolve(12345, 0);
    wm.resolveMany([1, 2], [1, 1]);
    wm.decoded(1, 1);
    assert.equal(wm.position('t', 0), 10);
  });
});

/**
 * Random interleavings of register / decoded / resolve (split into random chunks, possibly before
 * decoded) / commitable / revoke across partitions, checked against a naive model after every step.
 */
interface ModelBatch {
  id: number;
  topic: string;
  partition: number;
  first: number;
  last: number;
  messages: number;
  bytes: number;
  units: number;
  decodedSent: boolean;
  resolvedSent: number;
  revoked: boolean;
}

function runProperty(seed: number, steps: number, revokeRate: number): { commits: number; revokes: number; early: number } {
  const rnd = createPrng(seed);
  const wm = new CommitWatermark();
  const parts = [
    ['spans', 0],
    ['spans', 1],
    ['spans', 2],
    ['zipkin', 0],
    ['zipkin', 7],
  ] as const;
  const k = (t: string, p: number): string => `${t}/${p}`;
  const nextOffset = new Map<string, number>();
  const committed = new Map<string, number>(); // last offset handed out per partition (current assignment)
  const live = new Map<string, ModelBatch[]>(); // batches of the current assignment, offset order
  const pending: ModelBatch[] = []; // batches with a decoded or some units still to send (incl. revoked)
  let id = 0;
  let commits = 0;
  let revokes = 0;
  let early = 0;

  const isDone = (b: ModelBatch): boolean => b.decodedSent && b.resolvedSent === b.units;

  // The done prefix of each partition is trimmed from `live` as it forms (keeps the model linear).
  const prefix = new Map<string, number>();
  const lastRegistered = new Map<string, number>();
  const expectedPosition = (key: string): number | undefined => prefix.get(key);
  const trim = (b: ModelBatch): void => {
    if (b.revoked) return;
    const key = k(b.topic, b.partition);
    const list = live.get(key) ?? [];
    while (list.length > 0 && isDone(list[0] as ModelBatch)) prefix.set(key, (list.shift() as ModelBatch).last + 1);
  };

  const checkCommitable = (all: boolean): void => {
    const got = wm.commitable(all);
    const seen = new Set<string>();
    for (const c of got) {
      const key = k(c.topic, c.partition);
      assert.ok(!seen.has(key), `${key} twice in one commitable()`);
      seen.add(key);
      // The invariant users rely on: never past a message with an unresolved unit.
      for (const b of live.get(key) ?? []) {
        if (!isDone(b)) assert.ok(c.offset <= b.first, `${key}: commit ${c.offset} passes unresolved batch ${b.id} at ${b.first}`);
      }
      assert.equal(c.offset, expectedPosition(key), `${key}: commit offset`);
      const prev = committed.get(key);
      if (!all) assert.ok(prev === undefined || c.offset > prev, `${key}: ${c.offset} reported without progress over ${prev}`);
      committed.set(key, c.offset);
      commits++;
    }
    for (const key of prefix.keys()) {
      const pos = expectedPosition(key);
      if (pos === undefined) continue;
      if (all) assert.ok(seen.has(key), `${key} missing from commitable(true)`);
      else assert.equal(committed.get(key), pos, `${key}: progress to ${pos} not reported`);
    }
  };

  // Undone work in the model, kept incrementally (checked after every step).
  const undone = { messages: 0, bytes: 0, batches: 0 };
  const account = (b: ModelBatch, sign: 1 | -1): void => {
    undone.messages += sign * b.messages;
    undone.bytes += sign * b.bytes;
    undone.batches += sign;
  };
  const checkTotals = (): void => {
    const t = wm.totals();
    assert.deepEqual([t.messages, t.bytes, t.batches], [undone.messages, undone.bytes, undone.batches]);
    assert.equal(wm.isIdle(), undone.batches === 0);
  };

  const sendSome = (b: ModelBatch): void => {
    // Resolutions may run ahead of `decoded`, but never beyond the units that really exist.
    const remaining = b.units - b.resolvedSent;
    const canDecode = !b.decodedSent;
    if (remaining > 0 && (!canDecode || rnd.chance(0.5))) {
      const n = rnd.range(1, remaining);
      if (!b.decodedSent) early++;
      wm.resolveMany([b.id], [n]);
      b.resolvedSent += n;
    } else if (canDecode) {
      wm.decoded(b.id, b.units);
      b.decodedSent = true;
    }
    if (b.decodedSent && b.resolvedSent === b.units) {
      pending.splice(pending.indexOf(b), 1);
      if (!b.revoked) account(b, -1);
      trim(b);
    }
  };

  for (let step = 0; step < steps; step++) {
    const r = rnd.next();
    if (r < 0.25 || pending.length === 0) {
      const [topic, partition] = rnd.pick(parts);
      const key = k(topic, partition);
      const first = (nextOffset.get(key) ?? rnd.range(0, 1_000)) + (rnd.chance(0.2) ? rnd.range(1, 5) : 0);
      const messages = rnd.range(1, 20);
      const last = first + messages - 1 + (rnd.chance(0.1) ? rnd.range(1, 3) : 0);
      const b: ModelBatch = {
        id: id++,
        topic,
        partition,
        first,
        last,
        messages,
        bytes: messages * rnd.range(100, 2_000),
        units: rnd.chance(0.1) ? 0 : rnd.range(1, 40),
        decodedSent: false,
        resolvedSent: 0,
        revoked: false,
      };
      wm.register(topic, partition, b.id, first, last, messages, b.bytes);
      nextOffset.set(key, last + 1);
      lastRegistered.set(key, last);
      const list = live.get(key) ?? [];
      list.push(b);
      live.set(key, list);
      pending.push(b);
      account(b, 1);
    } else if (r < 0.9) {
      sendSome(rnd.pick(pending));
    } else if (r < 0.98) {
      checkCommitable(false);
    } else if (rnd.chance(revokeRate)) {
      const [topic, partition] = rnd.pick(parts);
      const key = k(topic, partition);
      wm.revoke(topic, partition);
      revokes++;
      for (const b of live.get(key) ?? []) {
        if (!isDone(b)) account(b, -1);
        b.revoked = true;
      }
      live.delete(key);
      committed.delete(key);
      prefix.delete(key);
      lastRegistered.delete(key);
      // Redelivery (after re-assignment) may start below where the old assignment got to.
      nextOffset.set(key, Math.max(0, (nextOffset.get(key) ?? 0) - rnd.range(0, 50)));
    } else {
      checkCommitable(true);
    }
    checkTotals();
  }

  // Everything still in flight arrives, in random order.
  while (pending.length > 0) sendSome(rnd.pick(pending));
  checkCommitable(false);
  checkTotals();
  assert.ok(wm.isIdle(), 'idle once everything is resolved');
  for (const [key, last] of lastRegistered) assert.equal(committed.get(key), last + 1, `${key}: everything committed`);
  assert.ok(lastRegistered.size > 0, 'something was registered');
  assert.deepEqual(wm.commitable(), []);
  return { commits, revokes, early };
}

describe('CommitWatermark: randomised properties (fixed seeds)', () => {
  for (const seed of [1, 2, 3, 99, 2024]) {
    it(`seed ${seed}: never commits past an unresolved unit; commits everything in the end`, () => {
      const s = runProperty(seed, 20_000, 0);
      assert.ok(s.commits > 100 && s.early > 100, JSON.stringify(s));
    });
  }
  for (const seed of [11, 12, 13]) {
    it(`seed ${seed}: with revocations and redelivery`, () => {
      const s = runProperty(seed, 20_000, 0.5);
      assert.ok(s.revokes > 10, JSON.stringify(s));
    });
  }
});
