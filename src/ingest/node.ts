/**
 * The coordinator: wires source → worker pool → (workers: decode … sink) and keeps the promises
 * users rely on: offsets are committed only behind fully resolved records (the watermark),
 * consumption pauses under backpressure, revocation and shutdown finish work before letting go.
 */
import type { Server } from 'node:http';
import { TracefoldError } from '../../core/errors.js';
import type { Encoding } from '../../core/model/span.js';
import type { BatchMessage, DecodedMessage, WorkerSettings, WorkerToCoordinator } from '../../workers/protocol.js';
import { startAdminServer } from '../admin/server.js';
import { WorkerPool } from '../dispatch/pool.js';
import { ensureTopics } from '../kafka/admin.js';
import { KafkaProducer } from '../kafka/producer.js';
import type { PartitionRange } from '../replay/plan.js';
import { DeadLetterSink } from '../sink/dead-letter/producer.js';
import { startIntake } from '../source/http/intake.js';
import { Backpressure } from '../source/kafka/backpressure.js';
import { KafkaSource, type RawBatch, type SourceOptions, type TopicPartition } from '../source/kafka/consumer.js';
import { CommitWatermark } from '../source/kafka/watermark.js';
import type { Logger } from '../telemetry/logger.js';
import { Metrics } from '../telemetry/metrics.js';

export interface NodeOptions {
  source: SourceOptions;
  deadLetterTopic: string;
  workers: number;
  workerSettings: WorkerSettings;
  commitIntervalMs: number;
  backpressure: { maxOutstandingBytes: number; maxOutstandingMessages: number; lowWaterRatio: number };
  admin: { enabled: boolean; host: string; port: number };
  http: { enabled: boolean; host: string; port: number; maxBodyBytes: number };
  shutdownTimeoutMs: number;
  /** Writes failing this long make /health DOWN (they are still retried). */
  sinkDownAfterMs: number;
  /** Replay: fixed [start, end) offset ranges; the node stops once all are consumed and resolved. */
  ranges?: readonly PartitionRange[];
  /** 'count' (dry run) resolves dead letters without producing them. */
  deadLetter: 'kafka' | 'count';
  /** Replay without committing. */
  commit: boolean;
  tickMs?: number;
}

export interface NodeSummary {
  messages: number;
  bytes: number;
  batches: number;
  deadLettered: number;
  durationMs: number;
  unresolvedAtExit: number;
}

const tpKey = (t: string, p: number): string => `${t}\u0000${p}`;
/** Pseudo-topic of HTTP intake bodies in the watermark and dead-letter headers. */
const HTTP_TOPIC = '(http)';

/** Keeps only the records of a batch below `end` (the views share the transferred buffers). */
function trimBatch(b: RawBatch, end: number): RawBatch {
  let n = 0;
  while (n < b.offsets.length && (b.offsets[n] as number) < end) n++;
  const ends = b.ends.subarray(0, n);
  return {
    ...b,
    ends,
    offsets: b.offsets.subarray(0, n),
    lastOffset: b.offsets[n - 1] as number,
    bytes: n > 0 ? (ends[n - 1] as number) : 0,
  };
}

export class IngestNode {
  readonly metrics = new Metrics();
  private pool: WorkerPool | undefined;
  private source: KafkaSource | undefined;
  private producer: KafkaProducer | undefined;
  private deadLetter: DeadLetterSink | undefined;
  private admin: Server | undefined;
  private intake: Server | undefined;
  /** HTTP bodies are accounted like records of a pseudo-partition that is never committed. */
  private httpOffset = 0;
  private readonly decodedWaiters = new Map<number, (d: DecodedMessage) => void>();
  private readonly watermark = new CommitWatermark();
  private readonly backpressure: Backpressure;
  private batchSeq = 0;
  private commitAll = false;
  private drainSeq = 0;
  private readonly drainWaiters = new Map<number, { left: number; resolve: () => void }>();
  /** Replay: a window flush is on its way to the workers (one at a time). */
  private replayFlushing = false;
  private timers: NodeJS.Timeout[] = [];
  private stopping: Promise<NodeSummary> | undefined;
  private fatal: Error | undefined;
  private readonly started = Date.now();
  private messages = 0;
  private bytes = 0;
  private deadLettered = 0;
  private consumedUpTo = new Map<string, number>();
  private readonly endOffsets = new Map<string, number>();
  private resolvedByWorkers = 0;
  /** Pipeline counters reported by workers, summed: `event|labels` → n (for summaries). */
  readonly pipelineTotals = new Map<string, number>();
  private finished: (() => void) | undefined;
  private shutdownTimedOut = false;
  private readonly sinkFailing = new Map<number, { failingMs: number; failure: string | null; reported: boolean }>();
  readonly done: Promise<void>;

  constructor(
    private readonly opts: NodeOptions,
    private readonly log: Logger,
  ) {
    const bp = opts.backpressure;
    this.backpressure = new Backpressure({
      highBytes: bp.maxOutstandingBytes,
      lowBytes: Math.floor(bp.maxOutstandingBytes * bp.lowWaterRatio),
      highMessages: bp.maxOutstandingMessages,
      lowMessages: Math.floor(bp.maxOutstandingMessages * bp.lowWaterRatio),
    });
    this.done = new Promise((r) => {
      this.finished = r;
    });
    for (const r of opts.ranges ?? []) {
      this.endOffsets.set(tpKey(r.topic, r.partition), r.end);
      this.consumedUpTo.set(tpKey(r.topic, r.partition), r.start);
    }
  }

  async start(): Promise<void> {
    const { source: so } = this.opts;
    if (this.opts.deadLetter === 'kafka') {
      this.producer = await KafkaProducer.connect(so.bootstrapServers);
      await ensureTopics(so.bootstrapServers, [{ topic: this.opts.deadLetterTopic, partitions: 1 }]);
      this.deadLetter = new DeadLetterSink(
        this.producer,
        this.opts.deadLetterTopic,
        (rec) => this.onDeadLettered(rec.batchId, rec.code),
        (err) => this.log.warn({ err: err.message }, 'dead-letter delivery failed; retrying'),
      );
    }
    this.pool = new WorkerPool(this.opts.workers, this.opts.workerSettings, {
      onMessage: (w, msg) => this.onWorkerMessage(w, msg),
      onWorkerError: (w, err) => this.onFatal(new TracefoldError('TF_WORKER_FAILED', `worker ${w} failed: ${err.message}`, { worker: w })),
    });
    this.source = new KafkaSource(so, {
      onBatch: (b) => {
        try {
          this.onBatch(b);
        } catch (err) {
          // A broken accounting invariant: stop cleanly (nothing committed past it) instead of crashing.
          this.onFatal(err instanceof Error ? err : new Error(String(err)));
        }
      },
      onRedelivered: (r) => {
        this.metrics.redelivered.labels(r.topic, String(r.partition)).inc(r.skipped);
        this.log.warn(
          { topic: r.topic, partition: r.partition, firstOffset: r.firstOffset, expectedOffset: r.expectedOffset, skipped: r.skipped },
          'Kafka client went back to offsets it had already delivered: skipped them (their first delivery is being processed)',
        );
      },
      onRevoke: (parts) => this.onRevoke(parts),
      onAssign: (parts) => this.log.info({ partitions: parts.map((p) => `${p.topic}/${p.partition}`) }, 'partitions assigned'),
      onError: (err) => this.log.error({ err: err.message }, 'kafka error'),
    });
    await this.source.connect();
    if (this.opts.admin.enabled) {
      this.admin = await startAdminServer(this.opts.admin.host, this.opts.admin.port, this.metrics, () => this.health());
    }
    if (this.opts.http.enabled) {
      this.intake = await startIntake(
        this.opts.http,
        (body, encoding) => this.submitHttp(body, encoding),
        (status) => this.metrics.httpRequests.labels(String(status)).inc(),
      );
      this.log.info({ host: this.opts.http.host, port: this.opts.http.port }, 'HTTP span intake listening');
    }
    const tickMs = this.opts.tickMs ?? 250;
    this.timers.push(setInterval(() => this.tick(), tickMs));
    if (this.opts.commit) this.timers.push(setInterval(() => this.commit(false), this.opts.commitIntervalMs));
    this.timers.push(setInterval(() => void this.updateLag(), 5_000));
    this.source.start();
    this.log.info(
      { topics: so.topics, group: so.groupId, workers: this.opts.workers, deadLetterTopic: this.opts.deadLetterTopic },
      'ingest started',
    );
  }

  private onDeadLettered(batchId: number, code: string): void {
    this.deadLettered++;
    this.metrics.deadLettered.labels(code).inc();
    this.resolve(batchId, 1);
  }

  private onBatch(b: RawBatch): void {
    if (this.stopping) return;
    const end = this.endOffsets.get(tpKey(b.topic, b.partition));
    if (end !== undefined) {
      // Replay: records at or past the fixed end are not ours; stop fetching that partition.
      if (b.lastOffset >= end - 1) this.source?.pause([{ topic: b.topic, partition: b.partition }]);
      if (b.firstOffset >= end) return;
      if (b.lastOffset >= end) b = trimBatch(b, end);
    }
    const pool = this.pool as WorkerPool;
    const batchId = ++this.batchSeq;
    const n = b.ends.length;
    this.watermark.register(b.topic, b.partition, batchId, b.firstOffset, b.lastOffset, n, b.bytes);
    this.messages += n;
    this.bytes += b.bytes;
    this.consumedUpTo.set(tpKey(b.topic, b.partition), b.lastOffset + 1);
    this.metrics.consumedMessages.labels(b.topic, String(b.partition)).inc(n);
    this.metrics.consumedBytes.labels(b.topic, String(b.partition)).inc(b.bytes);
    pool.dispatch({ type: 'batch', batchId, topic: b.topic, partition: b.partition, data: b.data, ends: b.ends, offsets: b.offsets });
    this.applyBackpressure();
  }

  private submitHttp(body: Buffer, encoding: Encoding | undefined): Promise<DecodedMessage> {
    if (this.stopping || !this.pool) return Promise.reject(new Error('shutting down: not accepting spans'));
    const batchId = ++this.batchSeq;
    const offset = this.httpOffset++;
    this.watermark.register(HTTP_TOPIC, 0, batchId, offset, offset, 1, body.length);
    const data = new ArrayBuffer(body.length);
    new Uint8Array(data).set(body);
    const done = new Promise<DecodedMessage>((resolve) => this.decodedWaiters.set(batchId, resolve));
    const batch: BatchMessage = {
      type: 'batch',
      batchId,
      topic: HTTP_TOPIC,
      partition: 0,
      data,
      ends: Uint32Array.of(body.length),
      offsets: Float64Array.of(offset),
    };
    if (encoding !== undefined) batch.encoding = encoding;
    this.pool.dispatch(batch);
    return done;
  }

  private resolve(batchId: number, count: number): void {
    this.watermark.resolve(batchId, count);
  }

  private onWorkerMessage(worker: number, msg: WorkerToCoordinator): void {
    switch (msg.type) {
      case 'decoded': {
        this.watermark.decoded(msg.batchId, msg.units);
        const waiter = this.decodedWaiters.get(msg.batchId);
        if (waiter) {
          this.decodedWaiters.delete(msg.batchId);
          waiter(msg);
        }
        break;
      }
      case 'resolved':
        for (let i = 0; i < msg.batchIds.length; i++) {
          this.resolve(msg.batchIds[i] as number, msg.counts[i] as number);
          this.resolvedByWorkers += msg.counts[i] as number;
        }
        break;
      case 'dead-letter':
        for (const rec of msg.records) {
          if (this.deadLetter) this.deadLetter.write(rec);
          else this.onDeadLettered(rec.batchId, rec.code);
        }
        break;
      case 'stats': {
        const w = String(worker);
        this.metrics.addWorkerCounters(msg.counters);
        for (const [event, byLabels] of Object.entries(msg.counters)) {
          for (const [labels, n] of Object.entries(byLabels)) {
            const k = labels ? `${event}|${labels}` : event;
            this.pipelineTotals.set(k, (this.pipelineTotals.get(k) ?? 0) + n);
          }
        }
        this.metrics.bufferedSpans.labels(w).set(msg.gauges.bufferedSpans);
        this.metrics.bufferedTraces.labels(w).set(msg.gauges.bufferedTraces);
        this.metrics.bufferedBytes.labels(w).set(msg.gauges.bufferedBytes);
        this.metrics.bulkInFlight.labels(w).set(msg.gauges.bulkInFlight);
        this.metrics.workerQueue.labels(w).set(msg.gauges.inputQueue);
        this.metrics.sinkFailing.labels(w).set(msg.gauges.sinkFailingMs / 1000);
        this.onSinkState(worker, msg.gauges.sinkFailingMs, msg.sinkFailure);
        for (const s of msg.bulkLatencies) this.metrics.bulkLatency.observe(s);
        break;
      }
      case 'drained': {
        const waiter = this.drainWaiters.get(msg.requestId);
        if (waiter && --waiter.left === 0) {
          this.drainWaiters.delete(msg.requestId);
          waiter.resolve();
        }
        break;
      }
      case 'fatal':
        this.onFatal(new TracefoldError('TF_WORKER_FAILED', `worker ${msg.worker}: ${msg.message}`, { worker: msg.worker }));
        break;
    }
  }

  private tick(): void {
    this.pool?.broadcast({ type: 'tick', now: Date.now() });
    this.applyBackpressure();
    const totals = this.watermark.totals();
    this.metrics.outstandingBytes.set(totals.bytes);
    this.metrics.outstandingMessages.set(totals.messages);
    if (this.opts.ranges && !this.stopping) this.replayTick();
  }

  /**
   * Replay: once every range is consumed no span can still join a buffered trace, so the windows
   * are flushed now rather than after their quiet time; the node stops when all is written.
   */
  private replayTick(): void {
    if (!this.rangesConsumed()) return;
    if (this.watermark.isIdle()) {
      void this.stop('replay range done');
      return;
    }
    const pool = this.pool;
    if (!pool || this.replayFlushing) return;
    // Repeated until idle: a span forwarded between workers can land after a worker's flush.
    this.replayFlushing = true;
    void this.requestDrain(pool).drained.then(() => {
      this.replayFlushing = false;
    });
  }

  /** Asks every worker to flush its windows and wait for its writes; settles when all have answered. */
  private requestDrain(pool: WorkerPool): { requestId: number; drained: Promise<void> } {
    const requestId = ++this.drainSeq;
    const drained = new Promise<void>((resolve) => this.drainWaiters.set(requestId, { left: pool.size, resolve }));
    pool.broadcast({ type: 'drain', requestId });
    return { requestId, drained };
  }

  private applyBackpressure(): void {
    const source = this.source;
    if (!source || this.stopping) return;
    const totals = this.watermark.totals();
    const partitions = source.assignments().map((tp) => ({ ...tp, ...this.watermark.outstanding(tp.topic, tp.partition) }));
    const decision = this.backpressure.update({
      partitions,
      totalBytes: totals.bytes,
      totalMessages: totals.messages,
      workerQueues: this.pool?.queues ?? [],
      sinkFailing: false,
    });
    if (decision.pause.length > 0) {
      source.pause(decision.pause);
      this.log.debug({ ...totals, partitions: decision.pause.length }, 'backpressure: paused');
    }
    if (decision.resume.length > 0) {
      source.resume(decision.resume);
      this.log.debug({ ...totals, partitions: decision.resume.length }, 'backpressure: resumed');
    }
    this.metrics.paused.set(source.pausedCount);
  }

  private rangesConsumed(): boolean {
    for (const [k, target] of this.endOffsets) {
      if ((this.consumedUpTo.get(k) ?? -1) < target) return false;
    }
    return true;
  }

  /** Replay progress: per range, the next offset consumed so far. */
  progress(): Array<PartitionRange & { next: number }> {
    return (this.opts.ranges ?? []).map((r) => ({
      ...r,
      next: Math.min(r.end, this.consumedUpTo.get(tpKey(r.topic, r.partition)) ?? r.start),
    }));
  }

  get counts(): { messages: number; bytes: number; resolvedByWorkers: number; deadLettered: number; outstanding: number } {
    return {
      messages: this.messages,
      bytes: this.bytes,
      resolvedByWorkers: this.resolvedByWorkers,
      deadLettered: this.deadLettered,
      outstanding: this.watermark.totals().messages,
    };
  }

  private commit(sync: boolean): void {
    const source = this.source;
    if (!source || !this.opts.commit) return;
    const offsets = this.watermark.commitable(this.commitAll);
    this.commitAll = false;
    if (offsets.length === 0) return;
    try {
      source.commit(offsets, sync);
      this.metrics.commits.labels('ok').inc();
      for (const o of offsets) this.metrics.committedOffset.labels(o.topic, String(o.partition)).set(o.offset);
    } catch (err) {
      this.metrics.commits.labels('error').inc();
      this.log.warn({ err: (err as Error).message }, 'offset commit failed; will retry on the next interval');
      // Offer every done position again next time, not only those that moved.
      this.commitAll = true;
    }
  }

  /** Flushes every worker's windows and waits until the given partitions (or all) are resolved. */
  private async drainUntil(idle: () => boolean, timeoutMs: number): Promise<boolean> {
    const pool = this.pool;
    if (!pool) return idle();
    const deadline = Date.now() + timeoutMs;
    // Forwarded spans can cross a drain between workers: repeat until the watermark says all is done.
    while (!idle()) {
      if (Date.now() >= deadline || this.fatal) return false;
      const { requestId, drained } = this.requestDrain(pool);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([drained, new Promise<void>((r) => (timer = setTimeout(r, Math.max(0, deadline - Date.now()))))]);
      clearTimeout(timer);
      this.drainWaiters.delete(requestId);
      if (!idle()) await new Promise((r) => setTimeout(r, 20));
    }
    return true;
  }

  private async onRevoke(parts: TopicPartition[]): Promise<void> {
    this.log.info({ partitions: parts.map((p) => `${p.topic}/${p.partition}`) }, 'partitions revoked: finishing their work');
    // A shutdown that already spent its timeout draining does not wait a second time here.
    const ok = await this.drainUntil(
      () => parts.every((p) => this.watermark.outstanding(p.topic, p.partition).batches === 0),
      this.shutdownTimedOut ? 0 : this.opts.shutdownTimeoutMs,
    );
    if (!ok) this.log.warn('revocation: not everything was written in time; the new owner will redeliver the rest (idempotent)');
    this.commit(true);
    for (const p of parts) {
      this.watermark.revoke(p.topic, p.partition);
      this.backpressure.forget(p.topic, p.partition);
    }
  }

  private onFatal(err: Error): void {
    if (this.fatal) return;
    this.fatal = err;
    this.log.error({ err: err.message }, 'fatal error: stopping');
    void this.stop('fatal');
  }

  /** Tracks each worker's write failures; logs once when they pass the health limit and once when they end. */
  private onSinkState(worker: number, failingMs: number, failure: string | null): void {
    const was = this.sinkFailing.get(worker);
    if (failingMs === 0) {
      if (was?.reported) this.log.info({ worker, failedForMs: was.failingMs }, 'writes succeed again');
      this.sinkFailing.delete(worker);
      return;
    }
    const reported = failingMs >= this.opts.sinkDownAfterMs;
    if (reported && !was?.reported) {
      this.log.error(
        { worker, failingForMs: failingMs, reason: failure, code: 'TF_SINK_FAILING' },
        'writes have been failing: /health is DOWN until one succeeds (still retrying, nothing dropped, offsets held back)',
      );
    }
    this.sinkFailing.set(worker, { failingMs, failure, reported: reported || (was?.reported ?? false) });
  }

  /** The longest current write failure over all workers, if it is past the health limit. */
  private sinkDown(): { failingForMs: number; reason: string | null } | undefined {
    let worst: { failingForMs: number; reason: string | null } | undefined;
    for (const s of this.sinkFailing.values()) {
      if (s.failingMs >= this.opts.sinkDownAfterMs && (worst === undefined || s.failingMs > worst.failingForMs)) {
        worst = { failingForMs: s.failingMs, reason: s.failure };
      }
    }
    return worst;
  }

  health(): { status: 'UP' | 'DEGRADED' | 'DOWN'; details: Record<string, unknown> } {
    const totals = this.watermark.totals();
    const sinkDown = this.sinkDown();
    return {
      status: this.fatal || sinkDown ? 'DOWN' : this.stopping ? 'DEGRADED' : 'UP',
      details: {
        sinkFailingForMs: sinkDown?.failingForMs,
        sinkError: sinkDown?.reason ?? undefined,
        messages: this.messages,
        outstandingMessages: totals.messages,
        outstandingBytes: totals.bytes,
        pausedPartitions: this.source?.pausedCount ?? 0,
        assignments: this.source?.assignments().map((p) => `${p.topic}/${p.partition}`) ?? [],
        error: this.fatal?.message,
      },
    };
  }

  private async updateLag(): Promise<void> {
    const source = this.source;
    if (!source || this.stopping) return;
    for (const w of await source.highWatermarks()) {
      const next = this.consumedUpTo.get(tpKey(w.topic, w.partition));
      if (next !== undefined) this.metrics.consumerLag.labels(w.topic, String(w.partition)).set(Math.max(0, w.high - next));
    }
  }

  get failed(): Error | undefined {
    return this.fatal;
  }

  /** Stop consuming, flush windows, wait for writes (bounded), commit, close. Idempotent. */
  stop(reason: string): Promise<NodeSummary> {
    this.stopping ??= this.doStop(reason);
    return this.stopping;
  }

  private async doStop(reason: string): Promise<NodeSummary> {
    const quiet = reason === 'startup failed';
    if (!quiet) this.log.info({ reason }, 'stopping: draining windows and writes');
    const source = this.source;
    source?.stop();
    this.intake?.close();
    await source?.waitLoopIdle();
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    // Keep ticking workers so windows keep moving while we drain.
    const ticker = setInterval(() => this.pool?.broadcast({ type: 'tick', now: Date.now() }), this.opts.tickMs ?? 250);
    const ok = await this.drainUntil(() => this.watermark.isIdle(), this.opts.shutdownTimeoutMs);
    clearInterval(ticker);
    if (!ok) {
      this.shutdownTimedOut = true;
      this.log.warn({ ...this.watermark.totals() }, 'shutdown timeout: unresolved records stay uncommitted and will be redelivered');
    }
    this.commit(true);
    const unresolved = this.watermark.totals().messages;
    await source?.disconnect().catch(() => undefined);
    await this.pool?.close().catch((err: Error) => this.log.warn({ err: err.message }, 'worker pool close'));
    await this.producer?.close().catch(() => undefined);
    await new Promise<void>((r) => (this.admin ? this.admin.close(() => r()) : r()));
    await new Promise<void>((r) => (this.intake ? this.intake.close(() => r()) : r()));
    const summary: NodeSummary = {
      messages: this.messages,
      bytes: this.bytes,
      batches: this.batchSeq,
      deadLettered: this.deadLettered,
      durationMs: Date.now() - this.started,
      unresolvedAtExit: unresolved,
    };
    if (!quiet) this.log.info(summary, 'stopped');
    this.finished?.();
    return summary;
  }
}
