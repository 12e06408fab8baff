/**
 * The span shipper: tails files (tailer.ts), decodes each line (line-decode.ts), sends the spans to
 * Kafka as one message per trace (batch.ts) and advances a file's durable position only past chunks
 * Kafka acknowledged in full (acks.ts, position-store.ts): at-least-once, never a gap. A failed
 * delivery is retried, never dropped; while more than `maxInFlightBytes` is unacknowledged (Kafka
 * down or slow) it stops reading, and resumes below half of that, so memory stays bounded and the
 * files themselves are the buffer.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { TracefoldError } from '../../core/errors.js';
import type { OutgoingRecord } from '../kafka/producer.js';
import type { Logger } from '../telemetry/logger.js';
import { AckTracker, type Chunk } from './acks.js';
import { KeyedBatcher } from './batch.js';
import { decodeLine } from './line-decode.js';
import type { Line } from './line-reader.js';
import type { ShipMetrics } from './metrics.js';
import { PositionStore } from './position-store.js';
import { type Follower, Tailer } from './tailer.js';

export interface ShipSettings {
  readonly globs: readonly string[];
  readonly topic: string;
  readonly deadLetterTopic: string;
  readonly positionFile: string;
  readonly pollIntervalMs: number;
  /** Most bytes read from one file at once; also the longest line shipped whole. */
  readonly readBytes: number;
  readonly maxInFlightBytes: number;
  readonly positionFlushMs: number;
  /** The producer can never deliver again (librdkafka's fatal idempotence error): the process must restart. */
  readonly onFatal?: (err: Error) => void;
}

/** What the shipper needs of a producer: a promise settled by the delivery report. */
export interface Sender {
  send(rec: OutgoingRecord): Promise<number>;
}

/** Entries kept for files no longer followed, so a reappearing copy still resumes; the oldest go first. */
const MAX_POSITIONS = 10_000;
const MAX_RETRY_DELAY_MS = 5_000;

interface Outgoing {
  readonly rec: OutgoingRecord;
  readonly spans: number;
}

export class Shipper {
  readonly #acks = new AckTracker();
  readonly #store: PositionStore;
  readonly #tailer: Tailer;
  #stopping = false;
  #paused = false;
  #loop: Promise<void> | undefined;
  readonly #wake = new AbortController();
  #lastFlush = 0;
  #retryWarned = 0;

  constructor(
    private readonly settings: ShipSettings,
    private readonly sender: Sender,
    private readonly log: Logger,
    private readonly metrics: ShipMetrics,
  ) {
    this.#store = new PositionStore(settings.positionFile);
    this.#tailer = new Tailer(
      settings.globs,
      (id) => this.#store.get(id),
      (id) => this.#acks.busy(id),
      log,
      {
        opened: (f) => log.info({ path: f.path }, `following ${f.path}`),
        closed: (f) => {
          log.info({ path: f.path }, `${f.path} read to its end and no longer matched: closed`);
          metrics.bytesBehind.remove({ path: f.path });
        },
        truncated: () => metrics.truncations.inc(),
      },
    );
  }

  get inFlightBytes(): number {
    return this.#acks.inFlightBytes;
  }

  get backpressured(): boolean {
    return this.#paused;
  }

  get files(): number {
    return this.#tailer.followers.length;
  }

  start(): void {
    this.#loop = this.#run();
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      try {
        this.#tailer.scan();
        await this.#readAvailable();
        this.#flushPositions(false);
        this.#updateGauges();
      } catch (err) {
        this.log.error({ err }, 'ship poll failed; retrying at the next poll');
      }
      await sleep(this.settings.pollIntervalMs, undefined, { signal: this.#wake.signal }).catch(() => undefined);
    }
  }

  async #readAvailable(): Promise<void> {
    for (;;) {
      let progressed = false;
      for (const f of this.#tailer.followers) {
        if (this.#stopping || this.#mustWait()) return;
        const lines = this.#tailer.read(f, this.settings.readBytes);
        if (lines.length === 0) continue;
        progressed = true;
        this.#ship(f, lines);
      }
      if (!progressed) return;
      // Let delivery reports in between rounds, so acknowledged chunks free room for the next.
      await new Promise<void>((r) => setImmediate(r));
    }
  }

  /** Backpressure with hysteresis: pause at the limit, resume below half of it. */
  #mustWait(): boolean {
    const bytes = this.#acks.inFlightBytes;
    const limit = this.settings.maxInFlightBytes;
    const was = this.#paused;
    this.#paused = was ? bytes > limit / 2 : bytes >= limit;
    if (this.#paused !== was) {
      this.metrics.backpressured.set(this.#paused ? 1 : 0);
      if (this.#paused) this.log.warn({ inFlightBytes: bytes }, 'Kafka is behind: reading paused until it acknowledges');
      else this.log.info({ inFlightBytes: bytes }, 'reading resumed');
    }
    return this.#paused;
  }

  #ship(f: Follower, lines: readonly Line[]): void {
    const first = lines[0] as Line;
    const last = lines[lines.length - 1] as Line;
    const chunk = this.#acks.open({
      id: f.id as string,
      path: f.path,
      dev: f.dev,
      ino: f.ino,
      end: last.end,
      bytes: last.end - first.start,
    });
    this.metrics.linesRead.inc(lines.length);
    this.metrics.bytesRead.inc(last.end - first.start);
    const batcher = new KeyedBatcher({ maxSpans: Number.MAX_SAFE_INTEGER });
    const out: Outgoing[] = [];
    for (const line of lines) {
      if (line.oversized) {
        out.push(this.#deadLetter(f, line, 'oversized', `line longer than ship.readBytes (${this.settings.readBytes}): cut`));
        continue;
      }
      const r = decodeLine(line.bytes);
      if (r.ok) batcher.add(r.spans);
      else out.push(this.#deadLetter(f, line, 'undecodable', r.reason));
    }
    for (const m of batcher.drain()) {
      const value = Buffer.from(m.value.buffer, m.value.byteOffset, m.value.byteLength);
      out.push({ rec: { topic: this.settings.topic, key: m.key, value }, spans: m.spans });
    }
    // Counted before any send: a delivery report cannot arrive before this function returns.
    chunk.pending = out.length;
    if (out.length === 0) this.#settled(this.#acks.settle(chunk));
    for (const o of out) this.#send(chunk, o, 0);
  }

  #deadLetter(f: Follower, line: Line, reason: string, detail: string): Outgoing {
    this.metrics.deadLetters.labels(reason).inc();
    return {
      rec: {
        topic: this.settings.deadLetterTopic,
        value: Buffer.from(line.bytes),
        headers: {
          'tracefold-reason': detail.slice(0, 1000),
          'tracefold-code': reason,
          'tracefold-file': f.path,
          'tracefold-offset': String(line.start),
        },
      },
      spans: 0,
    };
  }

  #send(chunk: Chunk, o: Outgoing, attempt: number): void {
    this.sender.send(o.rec).then(
      () => {
        if (o.rec.topic === this.settings.topic) {
          this.metrics.spansShipped.inc(o.spans);
          this.metrics.messagesShipped.inc();
        }
        chunk.pending--;
        if (chunk.pending === 0) this.#settled(this.#acks.settle(chunk));
      },
      (err: Error) => {
        if (err instanceof TracefoldError && err.context.fatal === true && this.settings.onFatal) {
          // Retrying through a dead producer would stall forever; the saved positions make a restart safe.
          this.settings.onFatal(err);
          return;
        }
        this.metrics.sendRetries.inc();
        const now = Date.now();
        if (now - this.#retryWarned > 10_000) {
          this.#retryWarned = now;
          this.log.warn({ err: err.message, topic: o.rec.topic }, 'delivery failed; retrying (the file position stays until it succeeds)');
        }
        setTimeout(() => this.#send(chunk, o, attempt + 1), Math.min(MAX_RETRY_DELAY_MS, 100 * 2 ** Math.min(attempt, 6)));
      },
    );
  }

  #settled(chunks: readonly Chunk[]): void {
    for (const c of chunks) this.#store.acknowledge(c.id, c.path, c.dev, c.ino, c.end);
  }

  #flushPositions(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.#lastFlush < this.settings.positionFlushMs) return;
    this.#lastFlush = now;
    this.#store.prune(this.#tailer.liveIds(), MAX_POSITIONS);
    this.#store.flush();
  }

  #updateGauges(): void {
    this.metrics.inFlightBytes.set(this.#acks.inFlightBytes);
    this.metrics.files.set(this.#tailer.followers.length);
    this.metrics.bytesBehind.reset();
    for (const f of this.#tailer.followers) {
      const acked = f.id === undefined ? 0 : this.#store.get(f.id);
      this.metrics.bytesBehind.labels(f.path).set(Math.max(0, f.size - acked));
    }
  }

  /**
   * Stops reading, waits up to `timeoutMs` for Kafka to acknowledge what was read, persists the
   * positions. Returns the bytes still unacknowledged (read again on the next start).
   */
  async stop(timeoutMs: number): Promise<number> {
    this.#stopping = true;
    this.#wake.abort();
    await this.#loop;
    const deadline = Date.now() + timeoutMs;
    while (this.#acks.inFlightBytes > 0 && Date.now() < deadline) await sleep(20);
    this.#flushPositions(true);
    this.#tailer.close();
    return this.#acks.inFlightBytes;
  }
}
