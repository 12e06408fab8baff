/**
 * The worker pool: piscina with exactly one long-running task per worker. Each task owns a
 * MessagePort to the coordinator and one to every peer, so trace affinity holds by construction
 * (a task never moves) and each worker's event loop stays live (no atomics wait while idle).
 */
import { setFlagsFromString } from 'node:v8';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { TracefoldError } from '../../core/errors.js';
import type { BatchMessage, CoordinatorToWorker, WorkerSettings, WorkerTask, WorkerToCoordinator } from '../../workers/protocol.js';
import { within } from '../async/within.js';

export interface PoolHandlers {
  onMessage(worker: number, msg: WorkerToCoordinator): void;
  onWorkerError(worker: number, err: Error): void;
}

export interface PoolOptions {
  /** The worker module (default: workers/ingest.worker); tests substitute workers that misbehave. */
  filename?: string;
}

function workerFile(): string {
  // Under tsx (tests, dev) this module is .ts and so is the worker; compiled, both are .js.
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  return new URL(`../../workers/ingest.worker.${ext}`, import.meta.url).href;
}

/** V8's largest semi-space for a worker of this heap limit (its young generation is three of them: 48 MiB). */
const SEMI_SPACE_MB = 16;

/**
 * Workers start with their young generation at full size instead of letting V8 grow it from 1 MiB as
 * survival rises. Under sustained load it reaches full size anyway, but at no fixed moment: a node's
 * RSS then took a 14–24 MiB step late into a burst, long after its data limits were full (bench
 * memory, "where the memory is"), so its footprint was not what the limits said. Started full, it is
 * reached at once; pages are touched only as they are used, so an idle node costs no more. V8 flags
 * are process-wide and read when an isolate is made, so this applies to the workers made after it;
 * a `--min-semi-space-size` given to node by the user is left alone.
 */
function fullSizeYoungGeneration(): void {
  if (process.execArgv.some((a) => a.includes('semi-space-size') || a.includes('semi_space_size'))) return;
  setFlagsFromString(`--min-semi-space-size=${SEMI_SPACE_MB}`);
}

export class WorkerPool {
  readonly size: number;
  private readonly piscina: Piscina;
  private readonly ports: MessagePort[] = [];
  private readonly tasks: Promise<unknown>[] = [];
  private readonly queued: number[];
  private next = 0;

  constructor(size: number, settings: WorkerSettings, handlers: PoolHandlers, options: PoolOptions = {}) {
    this.size = size;
    this.queued = new Array<number>(size).fill(0);
    fullSizeYoungGeneration();
    this.piscina = new Piscina({
      filename: options.filename ?? workerFile(),
      minThreads: size,
      maxThreads: size,
      idleTimeout: Number.POSITIVE_INFINITY,
      concurrentTasksPerWorker: 1,
      atomics: 'disabled',
      maxQueue: 0,
      // An explicit heap limit per worker: windows are budgeted in bytes, the rest is headroom for
      // decoding and bulk bodies. A worker over it dies, which stops the node before committing.
      resourceLimits: { maxOldGenerationSizeMb: Math.max(512, Math.ceil((4 * settings.window.maxBufferedBytes) / 2 ** 20)) },
    });
    const peerPorts: (MessagePort | null)[][] = Array.from({ length: size }, () => new Array<MessagePort | null>(size).fill(null));
    for (let a = 0; a < size; a++) {
      for (let b = a + 1; b < size; b++) {
        const ch = new MessageChannel();
        (peerPorts[a] as (MessagePort | null)[])[b] = ch.port1;
        (peerPorts[b] as (MessagePort | null)[])[a] = ch.port2;
      }
    }
    for (let w = 0; w < size; w++) {
      const ch = new MessageChannel();
      this.ports.push(ch.port1);
      ch.port1.on('message', (msg: WorkerToCoordinator) => {
        if (msg.type === 'decoded') this.queued[w] = Math.max(0, (this.queued[w] ?? 0) - 1);
        handlers.onMessage(w, msg);
      });
      const peers = peerPorts[w] as (MessagePort | null)[];
      const task: WorkerTask = { worker: w, workers: size, port: ch.port2, peers, settings };
      const transfer = [ch.port2, ...peers.filter((p): p is MessagePort => p !== null)];
      const run = this.piscina.run(task, { transferList: transfer });
      run.catch((err: unknown) => handlers.onWorkerError(w, err instanceof Error ? err : new Error(String(err))));
      this.tasks.push(run);
    }
  }

  /**
   * Sends a batch to `worker` when given (stage 2: its partition's fixed worker), else to the
   * least-loaded worker (ties round-robin); its buffers are transferred.
   */
  dispatch(batch: BatchMessage, worker?: number): number {
    let best = this.next;
    if (worker !== undefined) best = worker;
    else {
      for (let i = 1; i < this.size; i++) {
        const w = (this.next + i) % this.size;
        if ((this.queued[w] ?? 0) < (this.queued[best] ?? 0)) best = w;
      }
      this.next = (best + 1) % this.size;
    }
    this.queued[best] = (this.queued[best] ?? 0) + 1;
    const transfer: ArrayBuffer[] = [batch.data, batch.ends.buffer as ArrayBuffer, batch.offsets.buffer as ArrayBuffer];
    // A trimmed replay batch shares its buffers between views: each buffer is transferred once.
    if (batch.times !== undefined && !transfer.includes(batch.times.buffer as ArrayBuffer))
      transfer.push(batch.times.buffer as ArrayBuffer);
    (this.ports[best] as MessagePort).postMessage(batch, transfer);
    return best;
  }

  /** Batches dispatched and not yet decoded, per worker. */
  get queues(): readonly number[] {
    return this.queued;
  }

  /** Batches dispatched and not yet decoded, all workers. */
  get queuedBatches(): number {
    let n = 0;
    for (const q of this.queued) n += q;
    return n;
  }

  /** A control message to one worker, behind the batches already sent to it. */
  post(worker: number, msg: CoordinatorToWorker): void {
    (this.ports[worker] as MessagePort).postMessage(msg);
  }

  broadcast(msg: CoordinatorToWorker): void {
    for (const p of this.ports) p.postMessage(msg);
  }

  /** Ends every worker's task and the pool. */
  async close(timeoutMs = 10_000): Promise<void> {
    this.broadcast({ type: 'stop' });
    const stopped = await within(Promise.allSettled(this.tasks), timeoutMs);
    for (const p of this.ports) p.close();
    await this.piscina.destroy();
    if (!stopped) throw new TracefoldError('TF_SHUTDOWN_TIMEOUT', `workers did not stop within ${timeoutMs} ms`);
  }
}
