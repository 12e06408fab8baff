/**
 * The piscina entry point: one long-running task per worker. Glue only: it wires the coordinator
 * port and the peer ports to this worker's Pipeline and resolves when told to stop.
 */
import type { MessagePort } from 'node:worker_threads';
import { Pipeline } from './pipeline.js';
import type { CoordinatorToWorker, WorkerTask, WorkerToCoordinator, WorkerToWorker } from './protocol.js';

export default async function run(task: WorkerTask): Promise<void> {
  const { port, peers, worker, workers, settings } = task;
  const post = (msg: WorkerToCoordinator, transfer?: ArrayBuffer[]): void => port.postMessage(msg, transfer);
  const pipeline = new Pipeline(worker, workers, settings, post, (peer, data) =>
    (peers[peer] as MessagePort).postMessage({ type: 'forward', data } satisfies WorkerToWorker, [data]),
  );
  const fail = (err: unknown): void => {
    const e = err instanceof Error ? err : new Error(String(err));
    post({ type: 'fatal', worker, code: 'TF_WORKER_FAILED', message: e.stack ?? e.message });
  };
  for (const peer of peers) {
    peer?.on('message', (msg: WorkerToWorker) => {
      try {
        pipeline.onForward(msg.data);
      } catch (err) {
        fail(err);
      }
    });
  }
  await new Promise<void>((resolve) => {
    port.on('message', (msg: CoordinatorToWorker) => {
      try {
        switch (msg.type) {
          case 'batch':
            pipeline.onBatch(msg);
            break;
          case 'tick':
            pipeline.onTick(msg.now, msg.quiet);
            break;
          case 'reconfigure':
            pipeline.reconfigure(msg.stages);
            break;
          case 'seed-decisions':
            pipeline.onSeedDecisions(msg);
            break;
          case 'drain':
            pipeline.drain(msg.forwards).then(
              () => post({ type: 'drained', requestId: msg.requestId, worker }),
              (err: unknown) => fail(err),
            );
            break;
          case 'stop':
            pipeline.close().finally(() => {
              for (const p of peers) p?.close();
              port.close();
              resolve();
            });
            break;
        }
      } catch (err) {
        fail(err);
      }
    });
  });
}
