import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AckTracker } from '../../../../src/ship/acks.js';

const chunk = (id: string, end: number, bytes = 10) => ({ id, path: '/f', dev: 1, ino: 1, end, bytes });

describe('ship AckTracker', () => {
  it('settles chunks only in file order: a later chunk acknowledged first waits for the earlier one', () => {
    const t = new AckTracker();
    const a = t.open(chunk('f', 10));
    const b = t.open(chunk('f', 20));
    a.pending = 1;
    b.pending = 1;
    b.pending--;
    assert.deepEqual(t.settle(b), []);
    assert.equal(t.inFlightBytes, 20);
    assert.ok(t.busy('f'));
    a.pending--;
    assert.deepEqual(
      t.settle(a).map((c) => c.end),
      [10, 20],
    );
    assert.equal(t.inFlightBytes, 0);
    assert.ok(!t.busy('f'));
  });

  it('keeps identities apart', () => {
    const t = new AckTracker();
    const a = t.open(chunk('a', 10));
    const b = t.open(chunk('b', 5));
    a.pending = 1;
    assert.deepEqual(
      t.settle(b).map((c) => c.id),
      ['b'],
    );
    assert.ok(t.busy('a'));
  });
});
