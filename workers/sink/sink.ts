/**
 * The contract between a worker's pipeline and whatever stores its documents (search engine,
 * file, nothing), chosen by `SinkSettings.kind`.
 *
 * Accounting (see workers/protocol.ts): every entry carries the units it resolves for its batch.
 * A sink reports each entry exactly once, as one of
 *  - resolved: `onResolved(batchIds, counts)`, aggregated per request/flush;
 *  - dead-lettered: `onDeadLetter(entry, code, reason)` for entries with units > 0 — the caller
 *    turns it into a DeadLetterRecord, which the coordinator resolves when Kafka acks it;
 *  - dropped: `onDropped(entry, code, reason)` for derived entries with units === 0 (autocomplete
 *    documents), which resolve nothing and need no dead letter (but are counted).
 * An entry that is in none of these is still pending: its batch cannot be committed.
 */

/** One bulk item: one action line and one document line, each '\n'-terminated. */
export interface SinkEntry<R = unknown> {
  lines: string;
  batchId: number;
  /** Units resolved when this item is acknowledged; 0 for derived documents. */
  units: number;
  /** Opaque to the sink, handed back on dead letter/drop (provenance, autocomplete key…). */
  ref: R;
}

export interface SinkEvents<R = unknown> {
  onResolved(batchIds: number[], counts: number[]): void;
  /** The entry will never be written; `code` is a stable metric label, `reason` is for humans. */
  onDeadLetter(entry: SinkEntry<R>, code: string, reason: string): void;
  /** A derived entry (units 0) will never be written. */
  onDropped?(entry: SinkEntry<R>, code: string, reason: string): void;
  /** Seconds a request took, once per request that got an answer. */
  onLatency?(seconds: number): void;
  /** An entry goes back for another attempt (metric: retries by reason). */
  onRetry?(code: string, entries: number): void;
}

export interface Sink<R = unknown> {
  write(entry: SinkEntry<R>): void;
  /** Entries accepted and not yet resolved/dead-lettered/dropped, including in flight. */
  readonly pendingEntries: number;
  /** Entries waiting to be sent (not in flight): the backpressure signal. */
  readonly queuedEntries: number;
  readonly queuedBytes: number;
  readonly inFlight: number;
  /** Since when (ms) every request has failed, or null when the last one got an answer. */
  readonly failingSince: number | null;
  /** Why the latest of those requests failed (null when not failing): for health and logs. */
  readonly failure: string | null;
  /** Resolves once every entry written so far is resolved, dead-lettered or dropped. */
  drain(): Promise<void>;
  /** Stops timers and releases resources; pending entries stay unresolved. */
  close(): Promise<void>;
}

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Sums units per batch id into the parallel arrays `onResolved` takes. */
export class ResolvedTally {
  #counts = new Map<number, number>();

  add(batchId: number, units: number): void {
    if (units <= 0) return;
    this.#counts.set(batchId, (this.#counts.get(batchId) ?? 0) + units);
  }

  get empty(): boolean {
    return this.#counts.size === 0;
  }

  /** Emits and resets. */
  flush(onResolved: (batchIds: number[], counts: number[]) => void): void {
    if (this.#counts.size === 0) return;
    const batchIds: number[] = [];
    const counts: number[] = [];
    for (const [id, n] of this.#counts) {
      batchIds.push(id);
      counts.push(n);
    }
    this.#counts = new Map();
    onResolved(batchIds, counts);
  }
}
