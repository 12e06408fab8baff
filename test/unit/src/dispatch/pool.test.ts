/** The worker pool with real worker threads: the real ingest worker (null sink), and misbehaving ones. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TracefoldError } from '../../../../core/errors.js';
import { WorkerPool } from '../../../../src/dispatch/pool.js';
import type { BatchMessage, DecodedMessage, WorkerToCoordinator } from '../../../../workers/protocol.js';
import { testWorkerSettings } from '../../../helpers/worker-settings.js';

const fixture = (name: string): string => new URL(`./fixtures/${name}.worker.ts`, import.meta.url).href;

function batch(batchId: number, traceId: string): BatchMessage {
  const span = {
    traceId,
    id: '00000000000000a1',
    name: 'get',
    timestamp: 1_764_000_000_000_000,
    duration: 3,
    localEndpoint: { serviceName: 's' },
  };
  const bytes = new TextEncoder().encode(JSON.stringify([span]));
  return {
    type: 'batch',
    batchId,
    topic: 't',
    partition: 0,
    data: bytes.buffer,
    ends: Uint32Array.of(bytes.length),
    offsets: Float64Array.of(batchId),
  };
}

/** Waits for a condition with a deadline (the messages arrive from other threads). */
async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('WorkerPool', () => {
  it('dispatches batches (buffers transferred) to the least-loaded worker and counts them until decoded', async () => {
    const messages: Array<{ worker: number; msg: WorkerToCoordinator }> = [];
    const errors: Error[] = [];
    const pool = new WorkerPool(2, testWorkerSettings(), {
      onMessage: (worker, msg) => messages.push({ worker, msg }),
      onWorkerError: (_w, err) => errors.push(err),
    });
    try {
      const b1 = batch(1, '0000000000000001');
      const b2 = batch(2, '0000000000000002');
      const b3 = batch(3, '0000000000000003');
      assert.deepEqual([pool.dispatch(b1), pool.dispatch(b2), pool.dispatch(b3)], [0, 1, 0], 'ties go round-robin, then the least loaded');
      assert.equal(b1.data.byteLength, 0, 'the record bytes were transferred, not copied');
      assert.deepEqual(pool.queues, [2, 1]);
      assert.equal(pool.queuedBatches, 3);

      const decoded = (): Array<{ worker: number; msg: DecodedMessage }> =>
        messages.filter((m): m is { worker: number; msg: DecodedMessage } => m.msg.type === 'decoded');
      await until('three decoded answers', () => decoded().length === 3);
      assert.deepEqual(
        decoded()
          .map((m) => [m.msg.batchId, m.worker, m.msg.units])
          .sort((a, b) => (a[0] as number) - (b[0] as number)),
        [
          [1, 0, 1],
          [2, 1, 1],
          [3, 0, 1],
        ],
      );
      assert.deepEqual(pool.queues, [0, 0]);
      assert.equal(pool.queuedBatches, 0);

      pool.broadcast({ type: 'drain', requestId: 7, forwards: 0 });
      await until('both workers drained', () => messages.filter((m) => m.msg.type === 'drained').length === 2);
      assert.deepEqual(
        messages
          .filter((m) => m.msg.type === 'drained')
          .map((m) => m.worker)
          .sort(),
        [0, 1],
      );
      assert.deepEqual(errors, []);
    } finally {
      await pool.close();
    }
  });

  it('surfaces a worker whose task fails as an error naming the worker', async () => {
    const errors: Array<{ worker: number; err: Error }> = [];
    const pool = new WorkerPool(
      2,
      testWorkerSettings(),
      { onMessage: () => undefined, onWorkerError: (worker, err) => errors.push({ worker, err }) },
      { filename: fixture('failing') },
    );
    try {
      assert.equal(pool.dispatch(batch(1, '0000000000000001')), 0);
      await until('the worker failure', () => errors.length > 0);
      assert.equal(errors[0]?.worker, 0);
      assert.match(errors[0]?.err.message ?? '', /worker 0 broke on purpose/);
    } finally {
      await pool.close().catch(() => undefined);
    }
  });

  it('starts each worker with its young generation at full size (16 MiB semi-spaces), not grown later under load', async () => {
    const sizes: number[] = [];
    const pool = new WorkerPool(
      2,
      testWorkerSettings(),
      { onMessage: (_w, msg) => sizes.push((msg as unknown as { bytes: number }).bytes), onWorkerError: () => undefined },
      { filename: fixture('young-space') },
    );
    try {
      await until('both workers’ reports', () => sizes.length === 2);
      // V8's default start is 1–2 MiB (then doubling as survival rises).
      for (const b of sizes) assert.equal(b, 16 * 2 ** 20, `new space of ${b} bytes`);
    } finally {
      await pool.close(2_000).catch(() => undefined);
    }
  });

  it('close() ends every worker task; a worker that does not stop makes it fail with TF_SHUTDOWN_TIMEOUT', async () => {
    const ok = new WorkerPool(1, testWorkerSettings(), { onMessage: () => undefined, onWorkerError: () => undefined });
    await ok.close();

    const stuck = new WorkerPool(
      1,
      testWorkerSettings(),
      { onMessage: () => undefined, onWorkerError: () => undefined },
      { filename: fixture('stubborn') },
    );
    await assert.rejects(stuck.close(200), (err: unknown) => err instanceof TracefoldError && err.code === 'TF_SHUTDOWN_TIMEOUT');
  });
});
