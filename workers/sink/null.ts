/**
 * A sink that stores nothing: every entry resolves on the next microtask, aggregated per tick
 * (benchmarks, dry runs). It counts what it swallowed so a run can still be checked.
 */
import { ResolvedTally, type Sink, type SinkEntry, type SinkEvents } from './sink.js';

export class NullSink<R = unknown> implements Sink<R> {
  readonly #events: SinkEvents<R>;
  readonly #tally = new ResolvedTally();
  #scheduled = false;
  #closed = false;
  #pending = 0;
  #pendingBytes = 0;
  #waiters: (() => void)[] = [];
  /** Totals since construction. */
  entries = 0;
  units = 0;
  bytes = 0;

  constructor(events: SinkEvents<R>) {
    this.#events = events;
  }

  get pendingEntries(): number {
    return this.#pending;
  }

  get queuedEntries(): number {
    return this.#pending;
  }

  get queuedBytes(): number {
    return this.#pendingBytes;
  }

  get inFlight(): number {
    return 0;
  }

  get failingSince(): number | null {
    return null;
  }

  get failure(): string | null {
    return null;
  }

  write(entry: SinkEntry<R>): void {
    if (this.#closed) throw new Error('NullSink.write after close');
    // UTF-16 length, not UTF-8 bytes: this sink exists to measure everything but the sink.
    const bytes = entry.lines.length;
    this.#tally.add(entry.batchId, entry.units);
    this.#pending++;
    this.#pendingBytes += bytes;
    this.entries++;
    this.units += entry.units;
    this.bytes += bytes;
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => this.#flush());
  }

  drain(): Promise<void> {
    if (this.#pending === 0 || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#wake();
  }

  #flush(): void {
    this.#scheduled = false;
    if (this.#closed) return;
    this.#pending = 0;
    this.#pendingBytes = 0;
    this.#tally.flush((batchIds, counts) => this.#events.onResolved(batchIds, counts));
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
