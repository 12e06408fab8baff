/**
 * The Kafka source: a node-rdkafka consumer in the coordinator thread, used in non-flowing mode
 * (`consume(n)`), grouping records into per-partition batches of raw bytes. It never parses spans.
 * Offsets are committed only by the caller (the commit watermark), never automatically.
 */
import Kafka from 'node-rdkafka';
import { TracefoldError } from '../../../core/errors.js';
import { within } from '../../async/within.js';
import { connectClient } from '../../kafka/connection.js';
import { partitionKey } from './partition-key.js';

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface RawBatch {
  topic: string;
  partition: number;
  data: ArrayBuffer;
  ends: Uint32Array;
  offsets: Float64Array;
  /** Record timestamps, epoch ms (0 when the broker gave none). */
  times: Float64Array;
  firstOffset: number;
  lastOffset: number;
  bytes: number;
  /** Records without a key (stage 2 expects every record keyed by trace ID). */
  unkeyed?: number;
  /** The partition's high watermark as of the client's last fetch (no request made), when known. */
  high?: number;
}

export interface SourceHandlers {
  onBatch(batch: RawBatch): void;
  /** Called with partitions about to be revoked; the returned promise must settle before they are given up. */
  onRevoke(partitions: TopicPartition[]): Promise<void>;
  onAssign(partitions: TopicPartition[]): void;
  onError(err: Error): void;
  /**
   * The client handed over records of a partition it had already delivered in this assignment (a
   * fetch position that went back: seen with librdkafka after pause/resume around an assignment).
   * They were skipped: their first delivery is already being processed and committed.
   */
  onRedelivered(info: TopicPartition & { firstOffset: number; expectedOffset: number; skipped: number }): void;
  /**
   * The client failed for good (a librdkafka fatal error): it consumes and commits nothing more.
   * Seen after an outage longer than the group session with static membership: the client's member
   * id was reset, and its next commit was refused as coming from a fenced instance. `replace()`
   * joins the group again with a new client.
   */
  onFatal(err: TracefoldError): void;
}

export interface SourceOptions {
  bootstrapServers: string;
  groupId: string;
  /** Static membership (group.instance.id); only with a group subscription, not an explicit assignment. */
  groupInstanceId?: string | undefined;
  clientId: string;
  topics: string[];
  autoOffsetReset: 'earliest' | 'latest';
  batchMaxMessages: number;
  /**
   * Most value bytes per dispatched batch: a partition's records are split into several batches past
   * it. A single record larger than this is a batch of its own (it cannot be split; the worker
   * dead-letters it when it passes maxMessageBytes).
   */
  batchMaxBytes: number;
  fetchWaitMs: number;
  extra: Record<string, string>;
  /** Replay: explicit assignment instead of a group subscription. */
  assignment?: Array<TopicPartition & { offset: number }>;
}

/** Broker error FENCED_INSTANCE_ID (KIP-345). */
const FENCED_INSTANCE_ID = 82;

export class KafkaSource {
  private consumer: Kafka.KafkaConsumer | undefined;
  private running = false;
  private loopActive = false;
  private revoking = false;
  private readonly paused = new Set<string>();
  /** Partitions held paused until their start-up work is done (`hold`), whatever backpressure says. */
  private readonly held = new Set<string>();
  private readonly owned = new Set<string>();
  /** Per owned partition, the offset after the last record delivered in this assignment. */
  private readonly nextOffset = new Map<string, number>();
  /** Clients replaced after a fatal error: their late callbacks are ignored. */
  private readonly retired = new WeakSet<Kafka.KafkaConsumer>();
  /** The current client reported a fatal error. */
  private failed = false;
  private revocation: Promise<void> = Promise.resolve();
  private replacing: Promise<void> | undefined;
  /** `disconnect()` began: the revocation it causes has nothing left to commit (the caller committed before). */
  private closing = false;

  constructor(
    private readonly opts: SourceOptions,
    private readonly handlers: SourceHandlers,
  ) {}

  async connect(timeoutMs = 15_000): Promise<void> {
    const self = this;
    const conf: Kafka.ConsumerGlobalConfig = {
      'metadata.broker.list': this.opts.bootstrapServers,
      'group.id': this.opts.groupId,
      'client.id': this.opts.clientId,
      'enable.auto.commit': false,
      'enable.auto.offset.store': false,
      // A consume call returns 1 ms after reaching a partition's end instead of waiting fetchWaitMs
      // for more (node-rdkafka's consume(n) loop): a live, caught-up node hands each fetch on at
      // once, while a backlog still fills whole batches. Bench latency, keep-all at 5,000 spans/s:
      // p50 227-261 ms against 288-298 ms without. The events themselves are not listened to.
      'enable.partition.eof': true,
      'socket.keepalive.enable': true,
      ...(this.opts.extra as Kafka.ConsumerGlobalConfig),
      ...(this.opts.groupInstanceId !== undefined && this.opts.assignment === undefined
        ? { 'group.instance.id': this.opts.groupInstanceId }
        : {}),
      rebalance_cb(err: Kafka.LibrdKafkaError, assignment: Kafka.Assignment[]) {
        self.onRebalance(this as Kafka.KafkaConsumer, err, assignment);
      },
    };
    const consumer = new Kafka.KafkaConsumer(conf, { 'auto.offset.reset': this.opts.autoOffsetReset });
    this.consumer = consumer;
    this.failed = false;
    consumer.on('event.error', (err) => {
      if (this.retired.has(consumer)) return;
      if (isFatal(err)) this.reportFatal(consumer, this.describeError(err));
      else this.handlers.onError(this.describeError(err));
    });
    await connectClient(consumer, this.opts.bootstrapServers, timeoutMs);
    consumer.setDefaultConsumeTimeout(this.opts.fetchWaitMs);
    if (this.opts.assignment) {
      consumer.assign(this.opts.assignment);
      for (const a of this.opts.assignment) this.owned.add(partitionKey(a.topic, a.partition));
    } else {
      consumer.subscribe(this.opts.topics);
    }
  }

  /**
   * A static member fenced by another with the same group.instance.id (or a fatal error that hides
   * that) cannot consume again: name the cause and the fix rather than a bare librdkafka code.
   */
  private describeError(err: Kafka.LibrdKafkaError): TracefoldError {
    const fenced = err.code === FENCED_INSTANCE_ID || err.code === Kafka.CODES.ERRORS.ERR__FENCED || /fenced/i.test(err.message);
    if (fenced && this.opts.groupInstanceId !== undefined)
      return new TracefoldError(
        'TF_KAFKA_FENCED',
        `another consumer joined group ${this.opts.groupId} with the same group.instance.id ${JSON.stringify(this.opts.groupInstanceId)}, ` +
          `so this one was fenced out and consumes nothing more: give each node its own kafka.groupInstanceId (${err.message})`,
        {},
      );
    return new TracefoldError('TF_KAFKA_CONSUME', `Kafka client error: ${err.message}`, {});
  }

  /** Once per client: a fatal error goes to the handler, not to the log as one more client error. */
  private reportFatal(consumer: Kafka.KafkaConsumer, err: TracefoldError): void {
    if (consumer !== this.consumer || this.failed) return;
    this.failed = true;
    this.handlers.onFatal(err);
  }

  private onRebalance(consumer: Kafka.KafkaConsumer, err: Kafka.LibrdKafkaError, assignment: Kafka.Assignment[]): void {
    if (this.retired.has(consumer)) {
      // A replaced client closing: its partitions' work was finished before it was replaced.
      try {
        if (err.code === Kafka.CODES.ERRORS.ERR__REVOKE_PARTITIONS) consumer.unassign();
      } catch {
        // closed already
      }
      return;
    }
    const parts = assignment.map((a) => ({ topic: a.topic, partition: a.partition }));
    if (err.code === Kafka.CODES.ERRORS.ERR__ASSIGN_PARTITIONS) {
      // This runs inside librdkafka's callback: a throw here would end the process with a stack trace.
      try {
        consumer.assign(assignment);
      } catch (e) {
        // The group can hand out partitions while this client is closing (a node stopping during its
        // start, e.g. its admin port taken); librdkafka then refuses them ("Erroneous state"): nothing to take.
        if (this.closing) return;
        const why = e instanceof Error ? e.message : String(e);
        this.reportFatal(
          consumer,
          new TracefoldError('TF_KAFKA_CONSUME', `Kafka client refused the partitions the group assigned: ${why}`, {}),
        );
        return;
      }
      for (const p of parts) {
        this.owned.add(partitionKey(p.topic, p.partition));
        this.nextOffset.delete(partitionKey(p.topic, p.partition));
      }
      this.handlers.onAssign(parts);
      return;
    }
    if (err.code === Kafka.CODES.ERRORS.ERR__REVOKE_PARTITIONS) {
      // librdkafka waits for unassign(): finish and commit the revoked partitions' work first.
      this.revoking = true;
      for (const p of parts) {
        this.owned.delete(partitionKey(p.topic, p.partition));
        this.nextOffset.delete(partitionKey(p.topic, p.partition));
        this.held.delete(partitionKey(p.topic, p.partition));
      }
      this.revocation = this.handlers
        .onRevoke(parts)
        .catch((e: unknown) => this.handlers.onError(e instanceof Error ? e : new Error(String(e))))
        .finally(() => {
          for (const p of parts) this.paused.delete(partitionKey(p.topic, p.partition));
          try {
            consumer.unassign();
          } catch {
            // Not connected any more: nothing to give up.
          }
          this.revoking = false;
        });
      return;
    }
    this.handlers.onError(new TracefoldError('TF_KAFKA_CONSUME', `rebalance error: ${err.message}`, {}));
  }

  start(): void {
    this.running = true;
    this.loop();
  }

  private loop(): void {
    const consumer = this.consumer;
    if (!this.running || this.loopActive || consumer === undefined) return;
    this.loopActive = true;
    consumer.consume(this.opts.batchMaxMessages, (err, messages) => {
      this.loopActive = false;
      if (err) {
        if (isFatal(err)) this.reportFatal(consumer, this.describeError(err));
        else if (err.code !== Kafka.CODES.ERRORS.ERR__TIMED_OUT)
          this.handlers.onError(new TracefoldError('TF_KAFKA_CONSUME', `consume failed: ${err.message}`, {}));
      } else if (messages.length > 0) {
        try {
          this.emitBatches(messages);
        } catch (e) {
          // Never let an exception escape into the client's callback: it would kill the process.
          this.handlers.onError(e instanceof Error ? e : new Error(String(e)));
        }
      }
      if (this.running) setImmediate(() => this.loop());
    });
  }

  private emitBatches(messages: Kafka.Message[]): void {
    // Group by partition keeping offset order; one copy of each value into a transferable buffer.
    const groups = new Map<string, Kafka.Message[]>();
    let rewound: Map<string, { m: Kafka.Message; expected: number; skipped: number }> | undefined;
    for (const m of messages) {
      const k = partitionKey(m.topic, m.partition);
      // Records of a partition revoked meanwhile are redelivered to its new owner: skip them.
      if (!this.owned.has(k)) continue;
      const expected = this.nextOffset.get(k);
      if (expected !== undefined && m.offset < expected) {
        rewound ??= new Map();
        const r = rewound.get(k);
        if (r === undefined) rewound.set(k, { m, expected, skipped: 1 });
        else r.skipped++;
        continue;
      }
      this.nextOffset.set(k, m.offset + 1);
      let g = groups.get(k);
      if (g === undefined) {
        g = [];
        groups.set(k, g);
      }
      g.push(m);
    }
    if (rewound !== undefined) {
      for (const r of rewound.values()) {
        this.handlers.onRedelivered({
          topic: r.m.topic,
          partition: r.m.partition,
          firstOffset: r.m.offset,
          expectedOffset: r.expected,
          skipped: r.skipped,
        });
      }
    }
    for (const g of groups.values()) {
      let start = 0;
      let bytes = 0;
      for (let i = 0; i < g.length; i++) {
        const size = g[i]!.value?.length ?? 0;
        if (i > start && bytes + size > this.opts.batchMaxBytes) {
          this.emitBatch(g, start, i, bytes);
          start = i;
          bytes = 0;
        }
        bytes += size;
      }
      this.emitBatch(g, start, g.length, bytes);
    }
  }

  /** Hands over records [from, to) of one partition, copied into one transferable buffer. */
  private emitBatch(g: readonly Kafka.Message[], from: number, to: number, total: number): void {
    const data = new ArrayBuffer(total);
    const view = new Uint8Array(data);
    const ends = new Uint32Array(to - from);
    const offsets = new Float64Array(to - from);
    const times = new Float64Array(to - from);
    let pos = 0;
    let unkeyed = 0;
    for (let i = from; i < to; i++) {
      const m = g[i] as Kafka.Message;
      if (m.key === undefined || m.key === null || m.key.length === 0) unkeyed++;
      if (m.value) {
        view.set(m.value, pos);
        pos += m.value.length;
      }
      ends[i - from] = pos;
      offsets[i - from] = m.offset;
      times[i - from] = m.timestamp !== undefined && m.timestamp > 0 ? m.timestamp : 0;
    }
    const first = g[from] as Kafka.Message;
    const last = g[to - 1] as Kafka.Message;
    const high = this.cachedHigh(first.topic, first.partition);
    this.handlers.onBatch({
      topic: first.topic,
      partition: first.partition,
      data,
      ends,
      offsets,
      times,
      firstOffset: first.offset,
      lastOffset: last.offset,
      bytes: total,
      unkeyed,
      ...(high !== undefined ? { high } : {}),
    });
  }

  /** librdkafka's high watermark from its last fetch response of the partition: a local read. */
  private cachedHigh(topic: string, partition: number): number | undefined {
    try {
      const w = this.consumer?.getWatermarkOffsets(topic, partition);
      return w !== undefined && w.highOffset >= 0 ? w.highOffset : undefined;
    } catch {
      return undefined;
    }
  }

  get isRevoking(): boolean {
    return this.revoking;
  }

  assignments(): TopicPartition[] {
    return [...this.owned].map((k) => {
      const [topic, partition] = k.split('\u0000') as [string, string];
      return { topic, partition: Number(partition) };
    });
  }

  /** Pauses fetching for these partitions (idempotent): backpressure's reason. */
  pause(parts: TopicPartition[]): void {
    this.stopFetching(this.paused, this.held, parts, true);
  }

  resume(parts: TopicPartition[]): void {
    this.stopFetching(this.paused, this.held, parts, false);
  }

  /**
   * Keeps newly assigned partitions from being fetched until `release` (call from `onAssign`, before
   * the first fetch): backpressure's resume does not undo it.
   */
  hold(parts: TopicPartition[]): void {
    this.stopFetching(this.held, this.paused, parts, true);
  }

  /** Ends a `hold`; a partition backpressure paused meanwhile stays paused. */
  release(parts: TopicPartition[]): void {
    this.stopFetching(this.held, this.paused, parts, false);
  }

  /**
   * Two independent reasons stop a partition's fetching (backpressure, a hold); it is fetched while
   * neither holds it. Adds (`on`) owned partitions to, or removes them from, `reason`, and pauses or
   * resumes in the client only those the `other` reason does not already stop.
   */
  private stopFetching(reason: Set<string>, other: Set<string>, parts: TopicPartition[], on: boolean): void {
    const todo = parts.filter((p) => {
      const k = partitionKey(p.topic, p.partition);
      return reason.has(k) !== on && (!on || this.owned.has(k));
    });
    if (todo.length === 0 || !this.consumer) return;
    for (const p of todo) {
      if (on) reason.add(partitionKey(p.topic, p.partition));
      else reason.delete(partitionKey(p.topic, p.partition));
    }
    const change = todo.filter((p) => !other.has(partitionKey(p.topic, p.partition)));
    if (change.length === 0) return;
    if (on) this.consumer.pause(change);
    else this.consumer.resume(change);
  }

  get pausedCount(): number {
    return this.paused.size;
  }

  /** Whether fetching of the partition (key `topic\u0000partition`) is stopped: paused or held. */
  isStopped(partitionKey: string): boolean {
    return this.paused.has(partitionKey) || this.held.has(partitionKey);
  }

  /**
   * Sends a commit of exact next-offsets (asynchronous in librdkafka) for the partitions this node
   * owns or is giving up; returns the offsets sent. A refusal the client knows of at once throws.
   */
  commit(offsets: ReadonlyArray<TopicPartition & { offset: number }>): Array<TopicPartition & { offset: number }> {
    if (!this.consumer || offsets.length === 0 || this.closing) return [];
    if (this.failed)
      throw new TracefoldError('TF_KAFKA_COMMIT', 'commit failed: the Kafka client failed (fatal error) and is being replaced', {});
    const mine = offsets.filter((o) => this.owned.has(partitionKey(o.topic, o.partition)) || this.revoking);
    if (mine.length === 0) return [];
    try {
      this.consumer.commit(mine);
    } catch (err) {
      throw new TracefoldError('TF_KAFKA_COMMIT', `commit failed: ${(err as Error).message}`, {});
    }
    return mine;
  }

  /**
   * Commits and then reads the group's committed offsets back until they reach these: true once
   * confirmed, false when `timeoutMs` ran out first. Never a synchronous commit: librdkafka's blocks
   * the calling thread until the group coordinator answers, which with the coordinator gone (a broker
   * restart) froze this whole thread for 45 s and more, workers' messages, health and metrics included.
   */
  async commitConfirmed(offsets: ReadonlyArray<TopicPartition & { offset: number }>, timeoutMs: number): Promise<boolean> {
    const sent = this.commit(offsets);
    if (sent.length === 0) return true;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0 || this.failed) return false;
      const committed = await this.committed(sent, Math.min(left, 2_000));
      if (committed !== undefined && sent.every((o) => (committed.get(partitionKey(o.topic, o.partition)) ?? -1) >= o.offset)) return true;
      await new Promise((r) => setTimeout(r, Math.min(50, Math.max(0, deadline - Date.now()))));
    }
  }

  /** The group's committed next-offsets (-1 where none), or undefined when the query failed. */
  private committed(parts: readonly TopicPartition[], timeoutMs: number): Promise<Map<string, number> | undefined> {
    const consumer = this.consumer;
    if (!consumer) return Promise.resolve(undefined);
    const query = parts.map((p) => ({ topic: p.topic, partition: p.partition }));
    return new Promise((resolve) => {
      try {
        consumer.committed(query, timeoutMs, (err, got) => {
          if (err) return resolve(undefined);
          resolve(new Map(got.map((g) => [partitionKey(g.topic, g.partition), typeof g.offset === 'number' ? g.offset : -1])));
        });
      } catch {
        resolve(undefined);
      }
    });
  }

  async highWatermarks(timeoutMs = 5_000): Promise<Array<TopicPartition & { high: number }>> {
    const consumer = this.consumer;
    if (!consumer) return [];
    const out: Array<TopicPartition & { high: number }> = [];
    for (const p of this.assignments()) {
      const w = await new Promise<Kafka.WatermarkOffsets | undefined>((resolve) => {
        consumer.queryWatermarkOffsets(p.topic, p.partition, timeoutMs, (err, offsets) => resolve(err ? undefined : offsets));
      });
      if (w) out.push({ ...p, high: w.highOffset });
    }
    return out;
  }

  /** Stops the consume loop (records already handed over stay handed over). */
  stop(): void {
    this.running = false;
  }

  async waitLoopIdle(): Promise<void> {
    while (this.loopActive) await new Promise((r) => setTimeout(r, 10));
  }

  /** Settles when no revocation is in flight (the handler's work for revoked partitions is done). */
  async revocationSettled(): Promise<void> {
    await this.revocation;
  }

  /**
   * Replaces a failed client with a new one that joins the group again (with static membership it
   * takes this node's place back). The caller finishes the work of the old client's partitions
   * first; they are forgotten here, and the group assigns partitions to the new client afresh.
   */
  replace(connectTimeoutMs = 15_000): Promise<void> {
    this.replacing ??= this.doReplace(connectTimeoutMs).finally(() => {
      this.replacing = undefined;
    });
    return this.replacing;
  }

  private async doReplace(connectTimeoutMs: number): Promise<void> {
    await this.revocationSettled();
    const old = this.consumer;
    this.consumer = undefined;
    await this.waitLoopIdle();
    for (const set of [this.owned, this.paused, this.held]) set.clear();
    this.nextOffset.clear();
    this.revoking = false;
    if (old) {
      this.retired.add(old);
      // A failed client may never finish closing: give it a bounded time, then leave it.
      await within(closed(old), 10_000);
    }
    if (!this.running || this.closing) return;
    await this.connect(connectTimeoutMs);
    if (this.running) this.loop();
  }

  async disconnect(): Promise<void> {
    this.running = false;
    this.closing = true;
    await this.replacing?.catch(() => undefined);
    await this.waitLoopIdle();
    if (this.consumer) await closed(this.consumer);
  }
}

/** Disconnects a client; settles once it is closed. */
function closed(consumer: Kafka.KafkaConsumer): Promise<void> {
  return new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
}

function isFatal(err: Kafka.LibrdKafkaError): boolean {
  return err.isFatal === true || err.code === Kafka.CODES.ERRORS.ERR__FATAL;
}
