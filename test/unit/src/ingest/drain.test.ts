import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type DrainablePool, Drains } from '../../../../src/ingest/drain.js';
import type { CoordinatorToWorker } from '../../../../workers/protocol.js';

/** A pool of `size` workers that answers each drain request through `answer` (or never). */
class FakePool implements DrainablePool {
  readonly sent: CoordinatorToWorker[] = [];
  answer: ((requestId: number) => void) | undefined;
  constructor(readonly size: number) {}
  broadcast(msg: CoordinatorToWorker): void {
    this.sent.push(msg);
    if (msg.type === 'drain') queueMicrotask(() => this.answer?.(msg.requestId));
  }
}

describe('Drains', () => {
  it('settles a request only once every worker answered', async () => {
    const pool = new FakePool(3);
    const drains = new Drains(pool);
    const { requestId, drained } = drains.request();
    let settled = false;
    void drained.then(() => {
      settled = true;
    });
    drains.onDrained(requestId);
    drains.onDrained(requestId);
    await Promise.resolve();
    assert.equal(settled, false);
    drains.onDrained(requestId + 1); // another request's answer does not count
    await Promise.resolve();
    assert.equal(settled, false);
    drains.onDrained(requestId);
    await drained;
    assert.deepEqual(pool.sent, [{ type: 'drain', requestId }]);
  });

  it('repeats drains until the condition holds', async () => {
    const pool = new FakePool(2);
    const drains = new Drains(pool);
    let rounds = 0;
    pool.answer = (id) => {
      rounds++;
      drains.onDrained(id);
      drains.onDrained(id);
    };
    assert.equal(
      await drains.until(
        () => rounds >= 3,
        10_000,
        () => false,
      ),
      true,
    );
    assert.equal(pool.sent.length, 3);
  });

  it('gives up at the deadline when workers never answer, and at once when aborted', async () => {
    const drains = new Drains(new FakePool(1));
    assert.equal(
      await drains.until(
        () => false,
        50,
        () => false,
      ),
      false,
    );
    assert.equal(
      await drains.until(
        () => false,
        10_000,
        () => true,
      ),
      false,
    );
    assert.equal(
      await drains.until(
        () => true,
        0,
        () => true,
      ),
      true,
      'already idle',
    );
  });
});
