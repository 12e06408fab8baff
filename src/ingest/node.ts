/**
 * The coordinator: wires source → worker pool → (workers: decode … sink) and keeps the promises
 * users rely on: offsets are committed only behind fully resolved records (the watermark),
 * consumption pauses under backpressure, revocation and shutdown finish work before letting go.
 * This class owns the lifecycle and routes messages; each job lives in its own module here.
 */
import type { Server } from 'node:http';
import { TracefoldError } from '../../core/errors.js';
import type { Encoding } from '../../core/model/span.js';
import type { DecodedMessage, StageSettings, WorkerSettings, WorkerToCoordinator } from '../../workers/protocol.js';
import { LiveGraph } from '../admin/graph.js';
import { type HealthReport, startAdminServer } from '../admin/server.js';
import { within } from '../async/within.js';
import { PartitionWorkers } from '../dispatch/partition-workers.js';
import { WorkerPool } from '../dispatch/pool.js';
import { ensureTopics, growPartitions } from '../kafka/admin.js';
import { kafkaConnection } from '../kafka/connection.js';
import { KafkaProducer } from '../kafka/producer.js';
import type { PartitionRange } from '../replay/plan.js';
import { DeadLetterSink } from '../sink/dead-letter/producer.js';
import { DecisionLog, decisionTopicOf } from '../sink/decisions/log.js';
import { REKEY_PRODUCER_PROPERTIES, RekeySink } from '../sink/rekey/producer.js';
import { startIntake } from '../source/http/intake.js';
import { KafkaSource, type RawBatch, type SourceOptions, type TopicPartition } from '../source/kafka/consumer.js';
import { DecisionReader } from '../source/kafka/decisions.js';
import { partitionKey } from '../source/kafka/partition-key.js';
import { CommitWatermark } from '../source/kafka/watermark.js';
import type { Logger } from '../telemetry/logger.js';
import { Metrics } from '../telemetry/metrics.js';
import { OffsetCommitter } from './committer.js';
import { DecisionHandover } from './decision-handover.js';
import { Drains } from './drain.js';
import { FlowControl, type FlowLimits } from './flow-control.js';
import { healthReport } from './health.js';
import { HttpSubmissions } from './http-submissions.js';
import type { PipelineTotals } from './pipeline-totals.js';
import { ConsumePositions } from './positions.js';
import { QuietClock } from './quiet-clock.js';
import { SinkHealth } from './sink-health.js';
import { WorkerStats } from './worker-stats.js';

/** Longest wait for the group to confirm a commit before partitions go or the node stops. */
const COMMIT_CONFIRM_MS = 10_000;
/**
 * A failed Kafka client is replaced at most this often in the window; past it the node stops (two
 * nodes with one group.instance.id would otherwise fence each other in turn for ever).
 */
const CONSUMER_REPLACEMENTS = { max: 3, windowMs: 10 * 60_000 };

export interface NodeOptions {
  source: SourceOptions;
  deadLetterTopic: string;
  workers: number;
  workerSettings: WorkerSettings;
  commitIntervalMs: number;
  /** The most quiet time may be held back for partitions read behind the others (QuietClock); 0: off. */
  partitionSkewMs?: number;
  backpressure: FlowLimits;
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
  /** The configuration in force, secrets redacted, for the admin `/config` view. */
  effectiveConfig?: () => unknown;
  /** Two-stage topology: 'rekey' produces to `keyed.topic`, 'assemble' consumes it (default 'single'). */
  stage?: 'single' | 'rekey' | 'assemble';
  /** The trace-keyed topic (created with `partitions` when missing), for both stages. */
  keyed?: { topic: string; partitions: number };
}

export interface NodeSummary {
  messages: number;
  bytes: number;
  batches: number;
  deadLettered: number;
  durationMs: number;
  unresolvedAtExit: number;
}

/** How often replay checks whether its ranges are done (cheap: a few comparisons). */
const REPLAY_CHECK_MS = 20;

export class IngestNode {
  readonly metrics = new Metrics();
  /** Dependency links of the last minutes, as the workers report them (admin `/api/graph`). */
  readonly graph = new LiveGraph();
  private pool: WorkerPool | undefined;
  private drains: Drains | undefined;
  private source: KafkaSource | undefined;
  private committer: OffsetCommitter | undefined;
  private producer: KafkaProducer | undefined;
  private deadLetter: DeadLetterSink | undefined;
  private rekeySink: RekeySink | undefined;
  /** Stage 2: each assigned partition's fixed worker. */
  private partitionWorkers: PartitionWorkers | undefined;
  /** Stage 2: sampling decisions logged for, and restored by, the next owner of a keyed partition. */
  private decisionLog: DecisionLog | undefined;
  private decisionReader: DecisionReader | undefined;
  private handover: DecisionHandover | undefined;
  /** Last time the unkeyed-input warning was logged (at most once a minute). */
  private keyingWarnedAt = 0;
  private admin: Server | undefined;
  private intake: Server | undefined;
  private readonly watermark = new CommitWatermark();
  private readonly flow: FlowControl;
  private readonly positions: ConsumePositions;
  private readonly sinkHealth: SinkHealth;
  private readonly workerStats: WorkerStats;
  private readonly http: HttpSubmissions;
  private readonly quietClock: QuietClock;
  private batchSeq = 0;
  /** Replay: a window flush is on its way to the workers (one at a time). */
  private replayFlushing = false;
  private timers: NodeJS.Timeout[] = [];
  private stopping: Promise<NodeSummary> | undefined;
  private fatal: Error | undefined;
  private readonly started = Date.now();
  private messages = 0;
  private bytes = 0;
  private deadLettered = 0;
  private resolvedByWorkers = 0;
  private finished: (() => void) | undefined;
  private shutdownTimedOut = false;
  /**
   * Shutdown has drained, logged its decisions and committed: the revocation the Kafka client's
   * close then causes has nothing left to wait for, and must not ask the workers (closing beside the
   * client) for a drain they will never answer: librdkafka's close waits for that revocation.
   */
  private shutdownSettled = false;
  /** When the Kafka client was last replaced after a fatal error (within the limit's window). */
  private consumerReplacedAt: number[] = [];
  readonly done: Promise<void>;

  constructor(
    private readonly opts: NodeOptions,
    private readonly log: Logger,
  ) {
    this.flow = new FlowControl(opts.backpressure, this.watermark, this.metrics, log);
    this.positions = new ConsumePositions(opts.ranges);
    this.sinkHealth = new SinkHealth(opts.sinkDownAfterMs, log);
    this.workerStats = new WorkerStats(this.metrics, this.sinkHealth);
    this.http = new HttpSubmissions(this.watermark);
    this.quietClock = new QuietClock(opts.partitionSkewMs ?? 0, opts.tickMs ?? 250, opts.workerSettings.window.quietMs / 5);
    this.done = new Promise((r) => {
      this.finished = r;
    });
  }

  /** Pipeline counters reported by workers, summed (for summaries). */
  get pipelineTotals(): PipelineTotals {
    return this.workerStats.totals;
  }

  async start(): Promise<void> {
    const { source: so } = this.opts;
    const stage = this.opts.stage ?? 'single';
    const keyed = this.opts.keyed;
    if (stage !== 'single' && keyed === undefined)
      throw new TracefoldError('TF_CONFIG', `--stage ${stage} needs the trace-keyed topic (kafka.rekeyTopic)`);
    if (stage === 'assemble') this.partitionWorkers = new PartitionWorkers(this.opts.workers);
    // Workers first: loading their modules (≈ 0.25 s each) then overlaps the Kafka connections below
    // instead of following them, so a backlog's first batches do not wait in the queue for them.
    this.pool = new WorkerPool(this.opts.workers, this.opts.workerSettings, {
      onMessage: (w, msg) => this.onWorkerMessage(w, msg),
      onWorkerError: (w, err) => this.onFatal(new TracefoldError('TF_WORKER_FAILED', `worker ${w} failed: ${err.message}`, { worker: w })),
    });
    this.drains = new Drains(this.pool);
    if (stage !== 'single' && keyed !== undefined) {
      // Either stage may start first: the keyed topic exists before anyone produces to or subscribes to it.
      await ensureTopics(kafkaConnection(so.bootstrapServers, so.extra), [{ topic: keyed.topic, partitions: keyed.partitions }]);
    }
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
      onAssign: (parts) => {
        this.partitionWorkers?.assign(parts);
        this.handover?.onAssign(parts);
        this.log.info({ partitions: parts.map((p) => `${p.topic}/${p.partition}`) }, 'partitions assigned');
      },
      onError: (err) => this.log.error({ err: err.message }, 'kafka error'),
      onFatal: (err) => void this.onSourceFatal(err),
    });
    this.committer = new OffsetCommitter(this.source, this.watermark, this.metrics, this.log, () => this.decisionLog?.barrier());
    if (stage === 'single') {
      // The dead-letter producer and the consumer connect side by side: neither needs the other until
      // batches flow, which is after this. Both settle before an error is thrown, so stop() finds and
      // closes whatever did connect. (The two-stage roles keep the order: a decision log is read
      // before partitions are taken.)
      const connected = await Promise.allSettled([this.connectProducer(stage, keyed), this.source.connect()]);
      for (const r of connected) if (r.status === 'rejected') throw r.reason;
    } else {
      await this.connectProducer(stage, keyed);
      await this.source.connect();
    }
    this.log.debug('start: Kafka consumer connected');
    if (this.opts.admin.enabled) {
      this.admin = await startAdminServer(this.opts.admin.host, this.opts.admin.port, this.metrics, () => this.health(), {
        config: this.opts.effectiveConfig,
        graph: (now) =>
          this.opts.workerSettings.dependencies ? this.graph.snapshot(now) : { ...this.graph.snapshot(now), disabled: true },
      });
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
    // Replay's end is checked apart from the tick: each step of it (ranges read, windows flushed,
    // writes acknowledged) waited for the next tick, up to twice 250 ms on a run of a few seconds.
    if (this.opts.ranges) this.timers.push(setInterval(() => this.replayTick(), REPLAY_CHECK_MS));
    if (this.opts.commit) this.timers.push(setInterval(() => this.committer?.commit(), this.opts.commitIntervalMs));
    this.timers.push(setInterval(() => void this.updateLag(), 5_000));
    this.source.start();
    this.log.info(
      {
        stage,
        topics: so.topics,
        group: so.groupId,
        workers: this.opts.workers,
        deadLetterTopic: this.opts.deadLetterTopic,
        ...(stage === 'rekey' ? { keyedTopic: keyed?.topic } : {}),
      },
      'ingest started',
    );
  }

  /** The Kafka producer and what writes through it: dead letters, keyed records (rekey), decisions (assemble). */
  private async connectProducer(stage: NonNullable<NodeOptions['stage']>, keyed: NodeOptions['keyed']): Promise<void> {
    const { source: so } = this.opts;
    // Replay reads fixed ranges without a group: no handover to prepare for, and a dry run writes nothing.
    const decisionLog = stage === 'assemble' && keyed !== undefined && this.opts.ranges === undefined;
    if (this.opts.deadLetter === 'kafka' || stage === 'rekey' || decisionLog) {
      const kafka = kafkaConnection(so.bootstrapServers, so.extra);
      this.producer = await KafkaProducer.connect(kafka, stage === 'rekey' ? { ...REKEY_PRODUCER_PROPERTIES } : {});
      this.log.debug('start: Kafka producer connected');
    }
    if (decisionLog && keyed !== undefined) await this.startDecisionLog(keyed.topic);
    if (stage === 'rekey' && keyed !== undefined) {
      this.rekeySink = new RekeySink(
        this.producer as KafkaProducer,
        keyed.topic,
        (batchId) => this.watermark.resolve(batchId, 1),
        (err) => this.log.warn({ err: err.message, topic: keyed.topic }, 'keyed produce failed; retrying (raw offsets stay uncommitted)'),
      );
    }
    if (this.opts.deadLetter === 'kafka' && this.producer !== undefined) {
      const kafka = kafkaConnection(so.bootstrapServers, so.extra);
      await ensureTopics(kafka, [{ topic: this.opts.deadLetterTopic, partitions: 1 }]);
      this.log.debug({ topic: this.opts.deadLetterTopic }, 'start: dead-letter topic ready');
      this.deadLetter = new DeadLetterSink(
        this.producer,
        this.opts.deadLetterTopic,
        (rec) => this.onDeadLettered(rec.batchId, rec.code),
        (err) => this.log.warn({ err: err.message }, 'dead-letter delivery failed; retrying'),
      );
    }
  }

  /**
   * Stage 2's decision log (sink/decisions/log.ts) on `<keyed>.decisions`: as many partitions as
   * the keyed topic (a decision goes to its trace's partition number), and records kept a few
   * late-decision TTLs, since only the last TTL is ever read back. Off when late decisions are.
   */
  private async startDecisionLog(keyedTopic: string): Promise<void> {
    const w = this.opts.workerSettings.window;
    if (w.lateDecisionTtlMs <= 0 || w.lateDecisionCacheSize <= 0) return;
    const so = this.opts.source;
    const kafka = kafkaConnection(so.bootstrapServers, so.extra);
    const producer = this.producer as KafkaProducer;
    const topic = decisionTopicOf(keyedTopic);
    const partitions = await producer.partitionCount(keyedTopic);
    const retentionMs = Math.max(3_600_000, 4 * w.lateDecisionTtlMs);
    await ensureTopics(kafka, [{ topic, partitions, config: { 'cleanup.policy': 'delete', 'retention.ms': String(retentionMs) } }]);
    // The keyed topic grew since the decision topic was made: grow it alike.
    if ((await producer.partitionCount(topic)) < partitions) await growPartitions(kafka, topic, partitions);
    this.decisionLog = new DecisionLog(
      producer,
      topic,
      (n) => this.metrics.decisionLog.labels('delivered').inc(n),
      (err) => {
        this.metrics.decisionLog.labels('retried').inc();
        this.log.warn({ err: err.message, topic }, 'decision log produce failed; retrying (keyed offsets stay uncommitted)');
      },
    );
    this.decisionReader = new DecisionReader(kafka, so.groupId, topic);
    this.handover = new DecisionHandover({
      keyedTopic,
      reader: this.decisionReader,
      source: { hold: (p) => this.source?.hold(p), release: (p) => this.source?.release(p) },
      workerOf: (t, p) => (this.partitionWorkers as PartitionWorkers).workerOf(t, p),
      seed: (worker, msg) => this.pool?.post(worker, msg),
      ttlMs: w.lateDecisionTtlMs,
      timeoutMs: 30_000,
      metrics: this.metrics,
      log: this.log,
    });
  }

  /** Waits (bounded) until every decision received so far is in the decision log. */
  private async decisionsLogged(timeoutMs: number): Promise<boolean> {
    const barrier = this.decisionLog?.barrier();
    if (barrier === undefined) return true;
    return within(barrier, timeoutMs);
  }

  private onDeadLettered(batchId: number, code: string): void {
    this.deadLettered++;
    this.metrics.deadLettered.labels(code).inc();
    this.watermark.resolve(batchId, 1);
  }

  private onBatch(raw: RawBatch): void {
    if (this.stopping) return;
    const { batch: b, reachedEnd } = this.positions.clip(raw);
    // Replay: the partition's range is reached; stop fetching it.
    if (reachedEnd) this.source?.pause([{ topic: raw.topic, partition: raw.partition }]);
    if (b === undefined) {
      if (reachedEnd) this.quietClock.end(partitionKey(raw.topic, raw.partition));
      return;
    }
    const pool = this.pool as WorkerPool;
    const batchId = ++this.batchSeq;
    this.placeBatch(batchId, b, reachedEnd);
    const n = b.ends.length;
    this.watermark.register(b.topic, b.partition, batchId, b.firstOffset, b.lastOffset, n, b.bytes);
    this.messages += n;
    this.bytes += b.bytes;
    this.positions.consumed(b.topic, b.partition, b.lastOffset + 1);
    this.metrics.consumedMessages.labels(b.topic, String(b.partition)).inc(n);
    this.metrics.consumedBytes.labels(b.topic, String(b.partition)).inc(b.bytes);
    const worker = this.partitionWorkers?.workerOf(b.topic, b.partition);
    if (worker !== undefined && (b.unkeyed ?? 0) > 0)
      this.warnUnkeyed(`${b.unkeyed} of ${n} records without a key on ${b.topic}/${b.partition}`);
    pool.dispatch(
      {
        type: 'batch',
        batchId,
        topic: b.topic,
        partition: b.partition,
        data: b.data,
        ends: b.ends,
        offsets: b.offsets,
        times: b.times,
      },
      worker,
    );
    this.applyBackpressure();
  }

  /** Tells the quiet clock how far back in time the batch's partition is being read. */
  private placeBatch(batchId: number, b: RawBatch, reachedEnd: boolean): void {
    const key = partitionKey(b.topic, b.partition);
    let newest = 0;
    const times = b.times;
    for (let i = 0; i < times.length; i++) if ((times[i] as number) > newest) newest = times[i] as number;
    // Records left to read: from the replay range, else from the high watermark of the last fetch.
    const end = this.positions.endOf(b.topic, b.partition) ?? b.high;
    this.quietClock.read(batchId, key, newest, end !== undefined && b.lastOffset + 1 < end, Date.now());
    // A replay range read to its end: once this batch is decoded nothing more of it can join a trace.
    if (reachedEnd) this.quietClock.end(key);
  }

  /**
   * Stage 2 on input not keyed by trace ID assembles traces in fragments (each partition's worker
   * sees only its part): said loudly, at most once a minute, since it cannot be fixed from here.
   */
  private warnUnkeyed(what: string): void {
    const now = Date.now();
    if (now - this.keyingWarnedAt < 60_000) return;
    this.keyingWarnedAt = now;
    this.log.warn(
      { topics: this.opts.source.topics },
      `--stage assemble expects a topic keyed by trace ID (what --stage rekey produces): ${what}; traces are assembled in fragments`,
    );
  }

  private submitHttp(body: Buffer, encoding?: Encoding): Promise<DecodedMessage> {
    const pool = this.pool;
    if (this.stopping || !pool) return Promise.reject(new Error('shutting down: not accepting spans'));
    return this.http.submit(body, ++this.batchSeq, (batch) => pool.dispatch(batch), encoding);
  }

  private onWorkerMessage(worker: number, msg: WorkerToCoordinator): void {
    switch (msg.type) {
      case 'decoded':
        this.watermark.decoded(msg.batchId, msg.units);
        this.quietClock.decoded(msg.batchId);
        this.drains?.onDecoded(msg);
        this.http.onDecoded(msg);
        break;
      case 'resolved':
        for (let i = 0; i < msg.batchIds.length; i++) {
          this.watermark.resolve(msg.batchIds[i] as number, msg.counts[i] as number);
          this.resolvedByWorkers += msg.counts[i] as number;
        }
        break;
      case 'dead-letter':
        for (const rec of msg.records) {
          if (this.deadLetter) this.deadLetter.write(rec);
          else this.onDeadLettered(rec.batchId, rec.code);
        }
        break;
      case 'stats':
        this.workerStats.onStats(worker, msg);
        break;
      case 'drained':
        this.drains?.onDrained(msg.requestId);
        break;
      case 'links':
        this.graph.add(msg.at, msg.edges);
        break;
      case 'rekeyed':
        this.rekeySink?.write(msg);
        break;
      case 'decisions':
        this.decisionLog?.write(msg);
        break;
      case 'keying':
        this.warnUnkeyed(
          `${msg.splitTraces} trace(s) seen on two partitions (e.g. trace ${msg.example.key} on partitions ${msg.example.partitions.join(' and ')})`,
        );
        break;
      case 'fatal':
        this.onFatal(new TracefoldError('TF_WORKER_FAILED', `worker ${msg.worker}: ${msg.message}`, { worker: msg.worker }));
        break;
    }
  }

  private tick(): void {
    const now = Date.now();
    const source = this.source;
    const quiet = this.quietClock.complete(now, source === undefined ? undefined : (k) => source.isStopped(k));
    this.pool?.broadcast({ type: 'tick', now, quiet });
    this.applyBackpressure();
    const totals = this.watermark.totals();
    this.metrics.outstandingBytes.set(totals.bytes);
    this.metrics.outstandingMessages.set(totals.messages);
    if (this.pool) this.workerStats.onQueues(this.pool.queues);
  }

  /**
   * Replay: once every range is consumed no span can still join a buffered trace, so the windows
   * are flushed now rather than after their quiet time; the node stops when all is written.
   */
  private replayTick(): void {
    if (this.stopping || !this.positions.rangesConsumed()) return;
    if (this.watermark.isIdle()) {
      void this.stop('replay range done');
      return;
    }
    const drains = this.drains;
    const pool = this.pool;
    if (!drains || !pool || this.replayFlushing) return;
    // Flush only once every batch is decoded: a worker forwards the spans it does not own before
    // it answers 'decoded', so they are queued at their owner before the drain is sent. Flushing
    // earlier cut traces in pieces (the rest arrived late), which the trace-level stages
    // (dependency links, sampling) then saw as separate fragments.
    if (pool.queuedBatches > 0) return;
    // Repeated until idle: a span forwarded between workers can land after a worker's flush.
    this.replayFlushing = true;
    void drains.request().drained.then(() => {
      this.replayFlushing = false;
    });
  }

  private applyBackpressure(): void {
    const source = this.source;
    if (!source || this.stopping) return;
    this.flow.apply(source, { workerQueues: this.pool?.queues ?? [], sinkFailing: this.sinkHealth.failing });
  }

  /** Replay progress: per range, the next offset consumed so far. */
  progress(): Array<PartitionRange & { next: number }> {
    return this.positions.progress();
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

  /**
   * Commits what is done and waits (bounded) for the group to confirm it: before partitions are
   * given up, and at shutdown.
   */
  private async flushCommits(when: string): Promise<void> {
    if (!this.opts.commit || !this.committer) return;
    const timeoutMs = Math.min(COMMIT_CONFIRM_MS, this.opts.shutdownTimeoutMs);
    if (!(await this.committer.flush(timeoutMs)))
      this.log.warn(
        { timeoutMs },
        `${when}: the group did not confirm the offset commit in time; records after its last confirmed commit will be delivered again (writes are idempotent)`,
      );
  }

  /** Flushes every worker's windows and waits until `idle()` holds (bounded). */
  private drainUntil(idle: () => boolean, timeoutMs: number): Promise<boolean> {
    const drains = this.drains;
    if (!drains) return Promise.resolve(idle());
    return drains.until(idle, timeoutMs, () => this.fatal !== undefined);
  }

  private async onRevoke(parts: TopicPartition[]): Promise<void> {
    const names = parts.map((p) => `${p.topic}/${p.partition}`);
    if (this.shutdownSettled) {
      this.log.debug({ partitions: names }, 'partitions revoked: their work was finished by the shutdown');
    } else {
      this.log.info({ partitions: names }, 'partitions revoked: finishing their work');
      // A shutdown that already spent its timeout draining does not wait a second time here.
      const ok = await this.drainUntil(
        () => parts.every((p) => this.watermark.outstanding(p.topic, p.partition).batches === 0),
        this.shutdownTimedOut ? 0 : this.opts.shutdownTimeoutMs,
      );
      if (!ok) this.log.warn('revocation: not everything was written in time; the new owner will redeliver the rest (idempotent)');
      // The new owner reads the decisions back: they must be in the log before the partitions go.
      if (!(await this.decisionsLogged(this.shutdownTimedOut ? 0 : this.opts.shutdownTimeoutMs)))
        this.log.warn('revocation: decisions not all acknowledged by Kafka in time; their traces may be decided again by the new owner');
      await this.flushCommits('revocation');
    }
    for (const p of parts) {
      this.quietClock.end(partitionKey(p.topic, p.partition));
      this.watermark.revoke(p.topic, p.partition);
      this.flow.forget(p.topic, p.partition);
    }
    this.partitionWorkers?.release(parts);
  }

  /**
   * The Kafka client failed for good: finish the work of the partitions it held (their offsets
   * cannot be committed by it any more, so the group delivers the rest again: writes are
   * idempotent), then join the group with a new client. Bounded: see CONSUMER_REPLACEMENTS.
   */
  private async onSourceFatal(err: TracefoldError): Promise<void> {
    const source = this.source;
    if (!source || this.stopping || this.fatal) return;
    const now = Date.now();
    this.consumerReplacedAt = this.consumerReplacedAt.filter((t) => now - t < CONSUMER_REPLACEMENTS.windowMs);
    if (this.consumerReplacedAt.length >= CONSUMER_REPLACEMENTS.max) {
      this.onFatal(
        new TracefoldError(
          err.code,
          `${err.message}; the Kafka client failed ${CONSUMER_REPLACEMENTS.max + 1} times within ${CONSUMER_REPLACEMENTS.windowMs / 60_000} minutes`,
          {},
        ),
      );
      return;
    }
    this.consumerReplacedAt.push(now);
    this.metrics.consumerReplacements.inc();
    this.log.error(
      { err: err.message, code: err.code },
      'Kafka client failed for good: finishing the work of its partitions, then joining the group with a new client',
    );
    try {
      await source.revocationSettled();
      const held = source.assignments();
      if (held.length > 0) await this.onRevoke(held);
      if (this.stopping) return;
      await source.replace();
      this.log.info('new Kafka client connected: waiting for the group to assign partitions');
    } catch (e) {
      this.onFatal(e instanceof Error ? e : new Error(String(e)));
    }
  }

  private onFatal(err: Error): void {
    if (this.fatal) return;
    this.fatal = err;
    this.log.error({ err: err.message }, 'fatal error: stopping');
    void this.stop('fatal');
  }

  health(): HealthReport {
    return healthReport({
      fatal: this.fatal,
      stopping: this.stopping !== undefined,
      sinkDown: this.sinkHealth.down(),
      messages: this.messages,
      outstanding: this.watermark.totals(),
      pausedPartitions: this.source?.pausedCount ?? 0,
      assignments: this.source?.assignments().map((p) => `${p.topic}/${p.partition}`) ?? [],
    });
  }

  private async updateLag(): Promise<void> {
    const source = this.source;
    if (!source || this.stopping) return;
    for (const w of await source.highWatermarks()) {
      const next = this.positions.nextOffset(w.topic, w.partition);
      if (next !== undefined) this.metrics.consumerLag.labels(w.topic, String(w.partition)).set(Math.max(0, w.high - next));
    }
  }

  /**
   * New trace-level rules (a config reload): every worker switches between two of its messages, so
   * no batch is half old and half new; spans already buffered keep what they carry.
   */
  reconfigure(stages: StageSettings): void {
    this.pool?.broadcast({ type: 'reconfigure', stages });
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
    if (!(await this.decisionsLogged(ok ? this.opts.shutdownTimeoutMs : 0)))
      this.log.warn('shutdown: decisions not all acknowledged by Kafka in time; the offsets behind them stay uncommitted');
    await this.flushCommits('shutdown');
    await this.handover?.settled();
    await this.decisionReader?.close().catch(() => undefined);
    const unresolved = this.watermark.totals().messages;
    // A rebalance's revocation already under way finishes with the workers still open.
    await source?.revocationSettled();
    this.shutdownSettled = true;
    // Nothing is outstanding or the wait is over: the Kafka client and the workers close side by side
    // (the producer after the workers: a worker still busy after a timeout may send a dead letter).
    await Promise.all([
      source?.disconnect().catch(() => undefined),
      this.pool?.close().catch((err: Error) => this.log.warn({ err: err.message }, 'worker pool close')),
    ]);
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
