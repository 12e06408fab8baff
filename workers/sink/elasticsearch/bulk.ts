/**
 * The bulk writer a worker owns: packs entries (one bulk item each) into `POST /_bulk` bodies of
 * at most `bulkMaxBytes`, keeps at most `bulkMaxInFlight` requests in flight, and settles every
 * entry exactly once — resolved, dead-lettered or dropped (see ../sink.ts). Classification and
 * backoff live in ./retry.ts.
 *
 * Request: `POST /_bulk?filter_path=errors,items.*.status,items.*.error.type,items.*.error.reason
 * [&pipeline=P][&refresh=wait_for]`, body sent as the entries' NDJSON written once into one Buffer (never re-serialised),
 * the client's own retries off (maxRetries 0): all retrying happens here, with backoff.
 *
 * Life of an entry: ready queue → request (in flight) → resolved | back to the ready queue's head
 * after a per-item backoff (429/5xx, counted against `retry.maxAttempts`, then dead-lettered as
 * `retries_exhausted`) | dead-lettered (other 4xx). A failed request keeps its slot and re-sends
 * the same body after a backoff, without limit: while the engine is down, the queue grows and
 * backpressure upstream (queuedBytes) holds the line; `failingSince` tells how long.
 * With `bulkAdaptive` the in-flight limit is not fixed at `bulkMaxInFlight` but found by
 * ./adaptive.ts between 1 and it: grown while answers stay fast, cut on 429s or rising latency.
 * Time comes from an injectable clock so tests can drive it.
 */
import { Buffer } from 'node:buffer';
import type { Client } from '@elastic/elasticsearch';
import type { SinkSettings } from '../../protocol.js';
import { backoffMs } from '../backoff.js';
import { type Clock, ResolvedTally, type Sink, type SinkEntry, type SinkEvents, systemClock } from '../sink.js';
import { AdaptiveLimit } from './adaptive.js';
import { Deque, DueHeap } from './queues.js';
import { classifyItemStatus, classifyRequestError, type RequestFailure } from './retry.js';

export type BulkSettings = Pick<
  SinkSettings,
  'bulkMaxBytes' | 'bulkMaxInFlight' | 'bulkAdaptive' | 'pipeline' | 'refresh' | 'retry' | 'timeoutMs'
>;

export interface BulkWriterOptions {
  clock?: Clock;
  /** Uniform in [0, 1); jitter source. */
  random?: () => number;
  /** Close the client on `close()` (when the writer created it). */
  closeClient?: boolean;
}

export const BULK_FILTER_PATH = 'errors,items.*.status,items.*.error.type,items.*.error.reason';

interface Pending<R> {
  entry: SinkEntry<R>;
  bytes: number;
  /** Sends of this entry that ended in a retriable item status. */
  attempts: number;
  /** Most entries it may share a request with (lowered when a request is split to isolate a culprit). */
  isolate: number;
}

interface InFlight<R> {
  items: Pending<R>[];
  body: Buffer;
  /** Consecutive whole-request failures of this body. */
  attempts: number;
  timer: unknown;
  /** One per request: a writer-wide signal would pile up abort listeners (MaxListenersExceededWarning). */
  abort: AbortController | undefined;
}

interface BulkItemResult {
  status?: unknown;
  error?: { type?: unknown; reason?: unknown } | null;
}

export class BulkWriter<R = unknown> implements Sink<R> {
  readonly #client: Client;
  readonly #settings: BulkSettings;
  readonly #events: SinkEvents<R>;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #closeClient: boolean;
  readonly #query: Record<string, string>;

  readonly #ready = new Deque<Pending<R>>();
  readonly #delayed = new DueHeap<Pending<R>>();
  readonly #requests = new Set<InFlight<R>>();
  readonly #tally = new ResolvedTally();
  #queuedBytes = 0;
  #pending = 0;
  #retryTimer: unknown;
  #retryTimerDue = Number.POSITIVE_INFINITY;
  #pumpScheduled = false;
  #failingSince: number | null = null;
  #failure: string | null = null;
  readonly #adaptive: AdaptiveLimit | undefined;
  #closed = false;
  #drainWaiters: (() => void)[] = [];

  constructor(client: Client, settings: BulkSettings, events: SinkEvents<R>, options: BulkWriterOptions = {}) {
    if (!(settings.bulkMaxInFlight >= 1)) throw new RangeError(`bulkMaxInFlight must be ≥ 1, got ${settings.bulkMaxInFlight}`);
    if (!(settings.bulkMaxBytes >= 1)) throw new RangeError(`bulkMaxBytes must be ≥ 1, got ${settings.bulkMaxBytes}`);
    this.#client = client;
    this.#settings = settings;
    this.#events = events;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#closeClient = options.closeClient ?? false;
    this.#query = { filter_path: BULK_FILTER_PATH };
    if (settings.pipeline) this.#query.pipeline = settings.pipeline;
    if (settings.refresh) this.#query.refresh = 'wait_for';
    this.#adaptive = settings.bulkAdaptive ? new AdaptiveLimit({ max: settings.bulkMaxInFlight }, this.#clock) : undefined;
  }

  /** Requests allowed in flight now: fixed, or what the adaptive limit says. */
  get maxInFlight(): number {
    return this.#adaptive?.limit ?? this.#settings.bulkMaxInFlight;
  }

  get pendingEntries(): number {
    return this.#pending;
  }

  get queuedEntries(): number {
    return this.#ready.length + this.#delayed.length;
  }

  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  get inFlight(): number {
    return this.#requests.size;
  }

  get failingSince(): number | null {
    return this.#failingSince;
  }

  get failure(): string | null {
    return this.#failure;
  }

  write(entry: SinkEntry<R>): void {
    if (this.#closed) throw new Error('BulkWriter.write after close');
    const bytes = Buffer.byteLength(entry.lines, 'utf8');
    this.#ready.push({ entry, bytes, attempts: 0, isolate: Number.POSITIVE_INFINITY });
    this.#queuedBytes += bytes;
    this.#pending++;
    this.#schedulePump();
  }

  drain(): Promise<void> {
    if (this.#pending === 0 || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#retryTimer !== undefined) this.#clock.clearTimeout(this.#retryTimer);
    for (const req of this.#requests) {
      if (req.timer !== undefined) this.#clock.clearTimeout(req.timer);
      req.abort?.abort();
    }
    this.#wakeDrainers();
    if (this.#closeClient) await this.#client.close();
  }

  // Sending is deferred to a microtask so entries written in one synchronous loop share a body.
  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    queueMicrotask(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    const maxBytes = this.#settings.bulkMaxBytes;
    while (!this.#closed && this.#requests.size < this.maxInFlight && this.#ready.length > 0) {
      const first = this.#ready.shift() as Pending<R>;
      const items = [first];
      let bytes = first.bytes;
      let limit = first.isolate;
      for (let next = this.#ready.peek(); next !== undefined; next = this.#ready.peek()) {
        if (bytes + next.bytes > maxBytes || items.length >= Math.min(limit, next.isolate)) break;
        this.#ready.shift();
        items.push(next);
        bytes += next.bytes;
        limit = Math.min(limit, next.isolate);
      }
      // The body as bytes, written once: a string built by += is a rope of thousands of pieces that
      // the HTTP client would flatten (a copy), measure (a pass) and encode (another copy).
      const body = Buffer.allocUnsafe(bytes);
      let at = 0;
      for (const p of items) at += body.write(p.entry.lines, at);
      this.#queuedBytes -= bytes;
      const req: InFlight<R> = { items, body, attempts: 0, timer: undefined, abort: undefined };
      this.#requests.add(req);
      this.#send(req);
    }
  }

  #send(req: InFlight<R>): void {
    req.timer = undefined;
    if (this.#closed) return;
    const started = this.#clock.now();
    req.abort = new AbortController();
    this.#client.transport
      .request(
        { method: 'POST', path: '/_bulk', querystring: this.#query, bulkBody: req.body },
        { meta: true, maxRetries: 0, requestTimeout: this.#settings.timeoutMs, signal: req.abort.signal },
      )
      .then(
        (res) => this.#onAnswer(req, res.body, started),
        (err: unknown) => this.#onError(req, err, started),
      );
  }

  #onAnswer(req: InFlight<R>, body: unknown, started: number): void {
    if (this.#closed) return;
    const latencyMs = this.#clock.now() - started;
    this.#events.onLatency?.(latencyMs / 1000);
    const res = body as { errors?: unknown; items?: unknown } | null;
    if (typeof res !== 'object' || res === null || typeof res.errors !== 'boolean') {
      this.#requestFailed(req, {
        action: 'retry',
        code: 'bad_response',
        reason: `unexpected _bulk answer: ${String(JSON.stringify(body)).slice(0, 200)}`,
      });
      return;
    }
    const n = req.items.length;
    if (res.errors === true && (!Array.isArray(res.items) || res.items.length !== n)) {
      const got = Array.isArray(res.items) ? res.items.length : 'no';
      this.#requestFailed(req, { action: 'retry', code: 'bad_response', reason: `_bulk answered ${got} items for ${n} sent` });
      return;
    }
    this.#failingSince = null;
    this.#failure = null;
    this.#requests.delete(req);
    const items = res.errors === true ? (res.items as unknown[]) : undefined;
    let settled = 0;
    let retries = 0;
    let throttled = false;
    for (let i = 0; i < n; i++) {
      const p = req.items[i] as Pending<R>;
      if (items === undefined) {
        this.#tally.add(p.entry.batchId, p.entry.units);
        settled++;
        continue;
      }
      const result = firstValue(items[i]);
      const status = typeof result?.status === 'number' ? result.status : 0;
      if (status === 429) throttled = true;
      const action = status === 0 ? 'retry' : classifyItemStatus(status);
      if (action === 'resolve') {
        this.#tally.add(p.entry.batchId, p.entry.units);
        settled++;
      } else if (action === 'retry') {
        retries++;
        if (this.#retryItem(p, status, result)) settled++;
      } else {
        this.#reject(p, status, result);
        settled++;
      }
    }
    this.#tally.flush((batchIds, counts) => this.#events.onResolved(batchIds, counts));
    this.#adaptive?.onAnswer(latencyMs, throttled ? 'throttled' : 'ok');
    if (retries > 0) this.#armRetryTimer();
    this.#settle(settled);
    this.#pump();
  }

  #onError(req: InFlight<R>, err: unknown, started: number): void {
    if (this.#closed) return;
    const failure = classifyRequestError(err);
    if (failure.code.startsWith('http_')) this.#events.onLatency?.((this.#clock.now() - started) / 1000);
    // Only the engine saying "too many" moves the limit; a refused connection says nothing about load.
    if (failure.code === 'http_429') this.#adaptive?.onAnswer(this.#clock.now() - started, 'throttled');
    this.#requestFailed(req, failure);
  }

  #requestFailed(req: InFlight<R>, failure: RequestFailure): void {
    const n = req.items.length;
    if (failure.action === 'split') {
      this.#requests.delete(req);
      if (n === 1) {
        const p = req.items[0] as Pending<R>;
        this.#fail(p, failure.code, failure.reason);
        this.#settle(1);
      } else {
        // Halve until the entry the engine refuses stands alone; the others go through.
        const isolate = Math.ceil(n / 2);
        let bytes = 0;
        for (const p of req.items) {
          p.isolate = Math.min(p.isolate, isolate);
          bytes += p.bytes;
        }
        this.#ready.unshiftAll(req.items);
        this.#queuedBytes += bytes;
        this.#events.onRetry?.(failure.code, n);
      }
      this.#pump();
      return;
    }
    this.#failingSince ??= this.#clock.now();
    this.#failure = failure.reason;
    req.attempts++;
    this.#events.onRetry?.(failure.code, n);
    const r = this.#settings.retry;
    req.timer = this.#clock.setTimeout(() => this.#send(req), backoffMs(req.attempts, r.initialMs, r.maxMs, this.#random));
  }

  /** Returns true when the entry was settled (dead-lettered) instead of scheduled. */
  #retryItem(p: Pending<R>, status: number, result: BulkItemResult | undefined): boolean {
    p.attempts++;
    const r = this.#settings.retry;
    const code = status === 0 ? 'bad_item' : `http_${status}`;
    if (r.maxAttempts > 0 && p.attempts >= r.maxAttempts) {
      this.#fail(p, 'retries_exhausted', `${describe(status, result)} (gave up after ${p.attempts} attempts)`);
      return true;
    }
    this.#events.onRetry?.(code, 1);
    this.#delayed.push(this.#clock.now() + backoffMs(p.attempts, r.initialMs, r.maxMs, this.#random), p);
    this.#queuedBytes += p.bytes;
    return false;
  }

  #reject(p: Pending<R>, status: number, result: BulkItemResult | undefined): void {
    const type = typeof result?.error?.type === 'string' ? result.error.type : `http_${status}`;
    this.#fail(p, type, describe(status, result));
  }

  #fail(p: Pending<R>, code: string, reason: string): void {
    if (p.entry.units > 0) this.#events.onDeadLetter(p.entry, code, reason);
    else this.#events.onDropped?.(p.entry, code, reason);
  }

  #armRetryTimer(): void {
    const due = this.#delayed.next;
    if (due === undefined || this.#closed || due >= this.#retryTimerDue) return;
    if (this.#retryTimer !== undefined) this.#clock.clearTimeout(this.#retryTimer);
    this.#retryTimerDue = due;
    this.#retryTimer = this.#clock.setTimeout(() => this.#onRetryTimer(), Math.max(0, due - this.#clock.now()));
  }

  #onRetryTimer(): void {
    this.#retryTimer = undefined;
    this.#retryTimerDue = Number.POSITIVE_INFINITY;
    if (this.#closed) return;
    this.#ready.unshiftAll(this.#delayed.popDue(this.#clock.now()));
    this.#armRetryTimer();
    this.#pump();
  }

  #settle(n: number): void {
    this.#pending -= n;
    if (this.#pending === 0) this.#wakeDrainers();
  }

  #wakeDrainers(): void {
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const w of waiters) w();
  }
}

function firstValue(item: unknown): BulkItemResult | undefined {
  if (typeof item !== 'object' || item === null) return undefined;
  for (const k in item) return (item as Record<string, BulkItemResult>)[k];
  return undefined;
}

function describe(status: number, result: BulkItemResult | undefined): string {
  const e = result?.error;
  const type = typeof e?.type === 'string' ? e.type : undefined;
  const reason = typeof e?.reason === 'string' ? e.reason : undefined;
  let out = status === 0 ? 'item without status' : `HTTP ${status}`;
  if (type !== undefined) out += ` ${type}`;
  if (reason !== undefined) out += `: ${reason}`;
  return out;
}
