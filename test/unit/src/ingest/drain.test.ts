import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type DrainablePool, Drains } from '../../../../src/ingest/drain.js';
import type { CoordinatorToWorker } from '../../../../workers/protocol.js';

/** A pool of `size` workers that answers each drain request through `answer` (or never). */
class FakePool implements DrainablePool {
  readonly sent: CoordinatorToWorker[] = [];
  answer: ((requestId: number) => void) | undefined;
  constructor(readonly size: number) {}
  post(_worker: number, msg: CoordinatorToWorker): void {
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
    assert.equal(pool.sent.length, 3, 'one request per worker');
    assert.ok(pool.sent.every((m) => m.type === 'drain' && m.requestId === requestId));
  });

  it('tells each worker how many forward messages to take in before it flushes', () => {
    const pool = new FakePool(3);
    const drains = new Drains(pool);
    drains.request();
    const base = { type: 'decoded', units: 1, spans: 1, errors: 0 } as const;
    drains.onDecoded({ ...base, batchId: 1, forwardedTo: [1, 2] });
    drains.onDecoded({ ...base, batchId: 2 });
    drains.onDecoded({ ...base, batchId: 3, forwardedTo: [2] });
    drains.request();
    const forwards = (from: number) => pool.sent.slice(from).map((m) => (m.type === 'drain' ? m.forwards : -1));
    assert.deepEqual(forwards(0).slice(0, 3), [0, 0, 0], 'nothing forwarded before the first request');
    assert.deepEqual(forwards(3), [0, 1, 2]);
  });

  it('abandon settles pending requests (a worker failed)', async () => {
    const drains = new Drains(new FakePool(2));
    const { drained } = drains.request();
    drains.abandon();
    await drained;
  });

  it('repeats drains until the condition holds', async () => {
    const pool = new FakePool(2);
    const drains = new Drains(pool);
    // Each worker's request answered once; a round is one request to both.
    pool.answer = (id) => drains.onDrained(id);
    const rounds = (): number => pool.sent.length / 2;
    assert.equal(
      await drains.until(
        () => rounds() >= 3,
        10_000,
        () => false,
      ),
      true,
    );
    assert.equal(pool.sent.length, 6);
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
