/**
 * Keyed batching: spans grouped by trace so each Kafka message carries the spans of one trace and is
 * keyed by it, and every span of a trace lands in one partition (the re-key stage is not needed).
 * The key is the lower 64 bits of the trace ID (16 hex chars, left-padded) — what
 * workers/assemble/shard.ts hashes for worker affinity — so a 128-bit ID and its 64-bit downgrade
 * share a key, hence a partition.
 *
 * Each batch remembers the highest file position it covers, so the position store can advance only
 * past bytes whose every message Kafka acknowledged.
 */
import { encodeJsonV2 } from '../../core/codec/encode/json-v2.js';
import type { Span } from '../../core/model/span.js';

export interface ShipMessage {
  key: string;
  value: Uint8Array;
  spans: number;
}

/** Lower 64 bits of a hex trace ID, lower-case, zero-padded to 16 chars. */
export function traceKey(traceId: string): string {
  const low = traceId.length > 16 ? traceId.slice(traceId.length - 16) : traceId.padStart(16, '0');
  return low.toLowerCase();
}

export interface BatcherLimits {
  /** Flush when this many spans are buffered (bounds memory). */
  maxSpans: number;
}

export class KeyedBatcher {
  readonly #byKey = new Map<string, Span[]>();
  #spans = 0;
  readonly #limits: BatcherLimits;

  constructor(limits: BatcherLimits) {
    if (!(limits.maxSpans >= 1)) throw new RangeError(`maxSpans must be ≥ 1, got ${limits.maxSpans}`);
    this.#limits = limits;
  }

  get size(): number {
    return this.#spans;
  }

  /** Adds spans; true when the buffer reached its limit and the caller must flush before reading on. */
  add(spans: readonly Span[]): boolean {
    for (const span of spans) {
      const key = traceKey(span.traceId);
      const list = this.#byKey.get(key);
      if (list) list.push(span);
      else this.#byKey.set(key, [span]);
    }
    this.#spans += spans.length;
    return this.#spans >= this.#limits.maxSpans;
  }

  /** One message per trace key, value JSON v2 (what a Zipkin Kafka collector reads); empties the buffer. */
  drain(): ShipMessage[] {
    const out: ShipMessage[] = [];
    for (const [key, spans] of this.#byKey) out.push({ key, value: encodeJsonV2(spans), spans: spans.length });
    this.#byKey.clear();
    this.#spans = 0;
    return out;
  }
}
