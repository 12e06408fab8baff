/**
 * Phase 2, the pipeline without I/O: the real worker pool (`WorkerPool`, null sink) fed by a
 * coordinator loop that does what `IngestNode` does per batch — copy the records into a fresh
 * ArrayBuffer (as `KafkaSource.emitBatches` does), register it with the `CommitWatermark`,
 * dispatch (transfer) it, fold `decoded`/`resolved` back into the watermark — plus `tick`s for the
 * windows and a final `drain`. A run ends when the watermark says every unit is resolved, which is
 * exactly when the real node could commit everything.
 *
 * Each timed run gets a fresh pool, warmed up first on other traces (JIT, worker start-up and
 * tsx's on-the-fly compile are not measured), so no run sees another's trace IDs in its late-span
 * decision cache.
 */
import { performance } from 'node:perf_hooks';
import type { ZipkinEncoding } from '../core/model/span.js';
import { loadConfig } from '../src/config/load.js';
import { toWorkerSettings } from '../src/config/worker-settings.js';
import { PartitionWorkers } from '../src/dispatch/partition-workers.js';
import { WorkerPool } from '../src/dispatch/pool.js';
import { Drains } from '../src/ingest/drain.js';
import { CommitWatermark } from '../src/source/kafka/watermark.js';
import type { WorkerSettings, WorkerToCoordinator } from '../workers/protocol.js';
import { runQueueSeconds, threadCpuSeconds } from './servers.js';
import { type BaseTrace, MessageGen, type Messages, type PreBatch, TraceGen, toBatches } from './traffic.js';

/** A pool that has not drained by then is reported as failed. */
const DRAIN_TIMEOUT_MS = 300_000;

export const BENCH_TOPIC = 'bench';

/** The phase's window quiet time: short, so that a run's traces flush within it. */
export const PIPELINE_QUIET_MS = 50;

/** The phase's flags (null sink, quiet window) and `extra`, for `defaultWorkerSettings`. */
export function pipelineFlags(quietMs = PIPELINE_QUIET_MS, extra: readonly string[] = []): string[] {
  return ['--sink-kind', 'null', '--window-quiet-ms', String(quietMs), ...extra];
}

/**
 * The phase's traffic: warm-up then timed spans of the shared traces (seed 3, one start time),
 * in batches over 6 partitions; `timedMessages` for the byte and span counts.
 */
export function pipelineTraffic(
  bases: BaseTrace[],
  encoding: ZipkinEncoding,
  spansPerMessage: number,
  warmupSpans: number,
  spans: number,
): { warmup: PreBatch[]; timed: PreBatch[]; timedMessages: Messages } {
  const nowMicros = Date.now() * 1000;
  const gen = new MessageGen(new TraceGen(bases, { seed: 3, startMicros: () => nowMicros }), encoding, spansPerMessage);
  const warmup = toBatches(gen.messages(warmupSpans), 6, []);
  const timedMessages = gen.messages(spans);
  return { warmup, timed: toBatches(timedMessages, 6, []), timedMessages };
}

/** The real defaults of `tracefold ingest`, with the given flags applied, as workers receive them. */
export function defaultWorkerSettings(flags: string[]): WorkerSettings {
  const result = loadConfig({ command: 'ingest', argv: flags, env: {} });
  if (!result.ok) throw new Error(`bench worker settings: ${result.errors.join('; ')}`);
  return toWorkerSettings(result.config, { supportsTypes: false, delimiter: '-' });
}

export interface PipelineRun {
  workers: number;
  spans: number;
  bytes: number;
  seconds: number;
  spansPerSec: number;
  /** Process CPU (all threads) per span, in microseconds. */
  cpuMicrosPerSpan: number;
  /** CPU seconds per wall second: how many cores the run kept busy. */
  coresBusy: number;
  /** Spans decoded by one worker and owned (by trace hash) by another. */
  forwardedFraction: number;
  /** Cores' worth of time this process's threads waited, runnable, for a CPU (other load). */
  runQueueCores: number;
  /**
   * CPU per span (µs) by thread: the coordinator (main thread), the pool's worker threads (those
   * that appeared when the pool started), and V8's helper threads (GC, compiler) that predate it.
   */
  cpuByThread: { coordinator: number; workers: number; helpers: number };
  /** Time the worker threads were paused in garbage collection, µs per span (their own reports, workers/gc.ts). */
  gcPauseMicrosPerSpan: number;
  /** Those pauses as a share of the worker threads' CPU time. */
  gcShareOfWorkers: number;
}

interface Counters {
  decoded: number;
  forwarded: number;
  gcPauseMs: number;
}

/** Drives one pool; `feed` runs a set of batches to full resolution. */
class Driver {
  private readonly watermark = new CommitWatermark();
  private readonly pool: WorkerPool;
  private batchId = 0;
  private readonly offsets = new Map<number, number>();
  private readonly drains: Drains;
  private wake: (() => void) | undefined;
  private failure: Error | undefined;
  private readonly ticker: NodeJS.Timeout;
  /** Stage 2: each partition to one fixed worker, as `IngestNode` does with `--stage assemble`. */
  private readonly affinity: PartitionWorkers | undefined;
  counters: Counters = { decoded: 0, forwarded: 0, gcPauseMs: 0 };

  constructor(
    readonly workers: number,
    settings: WorkerSettings,
    tickMs: number,
  ) {
    if (settings.stage === 'assemble') this.affinity = new PartitionWorkers(workers);
    this.pool = new WorkerPool(workers, settings, {
      onMessage: (_w, msg) => this.onMessage(msg),
      onWorkerError: (w, err) => this.fail(new Error(`worker ${w}: ${err.message}`)),
    });
    this.drains = new Drains(this.pool);
    this.ticker = setInterval(() => this.pool.broadcast({ type: 'tick', now: Date.now() }), tickMs);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.wake?.();
    this.drains.abandon();
  }

  private onMessage(msg: WorkerToCoordinator): void {
    try {
      switch (msg.type) {
        case 'decoded':
          this.watermark.decoded(msg.batchId, msg.units);
          this.drains.onDecoded(msg);
          break;
        case 'resolved':
          this.watermark.resolveMany(msg.batchIds, msg.counts);
          break;
        case 'rekeyed':
          // Stage 1 without I/O: each keyed record counts as acknowledged on arrival (the producer's
          // own cost is in the e2e figures, not here).
          this.watermark.resolve(msg.batchId, msg.keys.length);
          break;
        case 'stats':
          this.counters.gcPauseMs += msg.gcPauseMs;
          for (const c of msg.counters) {
            if (c.name === 'spans_decoded') this.counters.decoded += c.value;
            else if (c.name === 'spans_forwarded') this.counters.forwarded += c.value;
          }
          break;
        case 'drained':
          this.drains.onDrained(msg.requestId);
          break;
        case 'dead-letter':
          this.fail(new Error(`unexpected dead letter: ${msg.records[0]?.reason}`));
          break;
        case 'fatal':
          this.fail(new Error(`worker ${msg.worker}: ${msg.message}`));
          break;
      }
    } catch (err) {
      this.fail(err as Error);
    }
    this.wake?.();
  }

  /** Dispatches every batch (at most `queueDepth` undecoded per worker), drains, waits for full resolution. */
  async feed(batches: readonly PreBatch[], queueDepth = 4): Promise<void> {
    let i = 0;
    const limit = queueDepth * this.workers;
    for (;;) {
      if (this.failure) throw this.failure;
      while (i < batches.length && this.pool.queuedBatches < limit) this.dispatch(batches[i++] as PreBatch);
      if (i === batches.length) break;
      await new Promise<void>((r) => {
        this.wake = r;
      });
      this.wake = undefined;
    }
    // As the node drains: every window flushed (dependency links included), until nothing is outstanding.
    await this.drains.until(
      () => this.watermark.isIdle(),
      DRAIN_TIMEOUT_MS,
      () => this.failure !== undefined,
    );
    if (this.failure) throw this.failure;
    if (!this.watermark.isIdle()) throw new Error(`the pool did not drain within ${DRAIN_TIMEOUT_MS} ms`);
  }

  private dispatch(b: PreBatch): void {
    const batchId = ++this.batchId;
    // Fresh, owned buffers: the source copies every record value once into a transferable buffer.
    const data = b.data.slice().buffer;
    const ends = b.ends.slice();
    const offsets = new Float64Array(b.messages);
    const first = this.offsets.get(b.partition) ?? 0;
    for (let k = 0; k < b.messages; k++) offsets[k] = first + k;
    this.offsets.set(b.partition, first + b.messages);
    this.watermark.register(BENCH_TOPIC, b.partition, batchId, first, first + b.messages - 1, b.messages, b.data.length);
    this.pool.dispatch(
      { type: 'batch', batchId, topic: BENCH_TOPIC, partition: b.partition, data, ends, offsets },
      this.affinity?.workerOf(BENCH_TOPIC, b.partition),
    );
  }

  async close(): Promise<void> {
    clearInterval(this.ticker);
    await this.pool.close();
  }
}

/** One fresh pool: warm-up batches, then the timed batches. */
export async function pipelineRun(
  workers: number,
  settings: WorkerSettings,
  warmup: readonly PreBatch[],
  timed: readonly PreBatch[],
  tickMs = 25,
): Promise<PipelineRun> {
  const helperThreads = new Set(threadCpuSeconds().keys());
  const driver = new Driver(workers, settings, tickMs);
  try {
    await driver.feed(warmup);
    // Stats are reported once a second and on drain: after the warm-up drain, counters restart.
    driver.counters = { decoded: 0, forwarded: 0, gcPauseMs: 0 };
    let spans = 0;
    let bytes = 0;
    for (const b of timed) {
      spans += b.spans;
      bytes += b.data.length;
    }
    const threads0 = threadCpuSeconds();
    const cpu0 = process.cpuUsage();
    const wait0 = runQueueSeconds();
    const t0 = performance.now();
    await driver.feed(timed);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const wait = runQueueSeconds() - wait0;
    const byThread = { coordinator: 0, workers: 0, helpers: 0 };
    for (const [tid, cpuSeconds] of threadCpuSeconds()) {
      const d = cpuSeconds - (threads0.get(tid) ?? 0);
      if (tid === process.pid) byThread.coordinator += d;
      else if (helperThreads.has(tid)) byThread.helpers += d;
      else byThread.workers += d;
    }
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    // The final drain makes every worker report its stats: all decoded spans are counted now.
    if (driver.counters.decoded !== spans) {
      throw new Error(`pipeline run with ${workers} worker(s): workers decoded ${driver.counters.decoded} spans, expected ${spans}`);
    }
    return {
      workers,
      spans,
      bytes,
      seconds,
      spansPerSec: spans / seconds,
      cpuMicrosPerSpan: (cpuSeconds * 1e6) / spans,
      coresBusy: cpuSeconds / seconds,
      forwardedFraction: driver.counters.forwarded / spans,
      runQueueCores: wait / seconds,
      cpuByThread: {
        coordinator: (byThread.coordinator * 1e6) / spans,
        workers: (byThread.workers * 1e6) / spans,
        helpers: (byThread.helpers * 1e6) / spans,
      },
      gcPauseMicrosPerSpan: (driver.counters.gcPauseMs * 1e3) / spans,
      gcShareOfWorkers: byThread.workers > 0 ? driver.counters.gcPauseMs / 1e3 / byThread.workers : 0,
    };
  } finally {
    await driver.close();
  }
}
