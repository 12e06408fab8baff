/**
 * A sink that appends each entry's NDJSON lines (bulk action + document) to a file: the file is a
 * valid `_bulk` body (`curl -H 'content-type: application/x-ndjson' --data-binary @file …/_bulk`).
 * Entries resolve only after the write that carried them completed.
 *
 * One write at a time, each a chunk of whole entries (≤ bulkMaxBytes) appended with O_APPEND, so
 * several workers may share a path without splitting an item. A failed write (disk full, EIO) is
 * retried after a backoff without limit, like an unreachable engine: `failingSince` reports it and
 * the queue grows until backpressure upstream stops intake.
 */
import { type FileHandle, open } from 'node:fs/promises';
import type { SinkSettings } from '../protocol.js';
import { backoffMs } from './backoff.js';
import { type Clock, ResolvedTally, type Sink, type SinkEntry, type SinkEvents, systemClock } from './sink.js';

export type FileSinkSettings = Pick<SinkSettings, 'filePath' | 'bulkMaxBytes' | 'retry'>;

export interface FileSinkOptions {
  clock?: Clock;
  random?: () => number;
}

export class FileSink<R = unknown> implements Sink<R> {
  readonly #path: string;
  readonly #settings: FileSinkSettings;
  readonly #events: SinkEvents<R>;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #tally = new ResolvedTally();
  #queue: SinkEntry<R>[] = [];
  #queuedBytes = 0;
  #writing: SinkEntry<R>[] | null = null;
  #handle: FileHandle | null = null;
  #failures = 0;
  #failingSince: number | null = null;
  #failure: string | null = null;
  #timer: unknown;
  #closed = false;
  #waiters: (() => void)[] = [];

  constructor(settings: FileSinkSettings, events: SinkEvents<R>, options: FileSinkOptions = {}) {
    if (!settings.filePath) throw new RangeError('sink.filePath is required when sink.kind is "file"');
    this.#path = settings.filePath;
    this.#settings = settings;
    this.#events = events;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
  }

  get pendingEntries(): number {
    return this.#queue.length + (this.#writing?.length ?? 0);
  }

  get queuedEntries(): number {
    return this.#queue.length;
  }

  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  get inFlight(): number {
    return this.#writing === null ? 0 : 1;
  }

  get failingSince(): number | null {
    return this.#failingSince;
  }

  get failure(): string | null {
    return this.#failure;
  }

  write(entry: SinkEntry<R>): void {
    if (this.#closed) throw new Error('FileSink.write after close');
    this.#queue.push(entry);
    this.#queuedBytes += entry.lines.length;
    if (this.#writing === null && this.#timer === undefined) queueMicrotask(() => this.#next());
  }

  drain(): Promise<void> {
    if (this.pendingEntries === 0 || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#wake();
    const handle = this.#handle;
    this.#handle = null;
    await handle?.close();
  }

  #next(): void {
    if (this.#closed || this.#writing !== null || this.#timer !== undefined || this.#queue.length === 0) return;
    const max = this.#settings.bulkMaxBytes;
    let n = 0;
    let size = 0;
    let body = '';
    for (const e of this.#queue) {
      if (n > 0 && size + e.lines.length > max) break;
      body += e.lines;
      size += e.lines.length;
      n++;
    }
    const chunk = this.#queue.splice(0, n);
    this.#queuedBytes -= size;
    this.#writing = chunk;
    this.#append(body).then(
      () => this.#written(chunk),
      (err: unknown) => this.#failed(chunk, size, err),
    );
  }

  async #append(body: string): Promise<void> {
    this.#handle ??= await open(this.#path, 'a');
    await this.#handle.appendFile(body, 'utf8');
  }

  #written(chunk: SinkEntry<R>[]): void {
    this.#writing = null;
    this.#failures = 0;
    this.#failingSince = null;
    this.#failure = null;
    if (this.#closed) return;
    for (const e of chunk) this.#tally.add(e.batchId, e.units);
    this.#tally.flush((batchIds, counts) => this.#events.onResolved(batchIds, counts));
    if (this.pendingEntries === 0) this.#wake();
    this.#next();
  }

  #failed(chunk: SinkEntry<R>[], size: number, err: unknown): void {
    this.#writing = null;
    if (this.#closed) return;
    this.#queue = chunk.concat(this.#queue);
    this.#queuedBytes += size;
    this.#failures++;
    this.#failingSince ??= this.#clock.now();
    this.#failure = `cannot append to ${this.#path}: ${(err as Error | null)?.message ?? String(err)}`;
    const code = (err as { code?: unknown } | null)?.code;
    this.#events.onRetry?.(typeof code === 'string' ? `file_${code}` : 'file_error', chunk.length);
    // A broken handle (file deleted, disk remounted) is reopened on the next attempt.
    const handle = this.#handle;
    this.#handle = null;
    handle?.close().catch(() => {});
    const r = this.#settings.retry;
    this.#timer = this.#clock.setTimeout(
      () => {
        this.#timer = undefined;
        this.#next();
      },
      backoffMs(this.#failures, r.initialMs, r.maxMs, this.#random),
    );
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
