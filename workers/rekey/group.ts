/**
 * Stage 1 of the two-stage topology (`--stage rekey`): the spans of one batch, grouped by trace key
 * (the lower 64 bits of the trace ID, so a 128-bit ID and its 64-bit form meet) and encoded as one
 * Zipkin Proto3 ListOfSpans per trace, back to back in one transferable buffer. Each group becomes
 * one Kafka record keyed by its trace key, so every span of a trace lands on one partition of the
 * keyed topic whichever stage-1 node read it.
 */
import { encodeProto3 } from '../../core/codec/encode/proto3.js';
import type { Span } from '../../core/model/span.js';
import { traceKey } from '../assemble/facts.js';

/** Keyed records of one batch: record i is `data[ends[i-1] ?? 0, ends[i])` with key `keys[i]`. */
export interface KeyedRecords {
  data: ArrayBuffer;
  ends: Uint32Array;
  keys: string[];
  /** Spans in all records. */
  spans: number;
}

export class TraceGrouper {
  private groups = new Map<string, Span[]>();
  private spans = 0;

  constructor(private readonly encode: (spans: readonly Span[]) => Uint8Array = encodeProto3) {}

  add(span: Span): void {
    const key = traceKey(span.traceId);
    const g = this.groups.get(key);
    if (g === undefined) this.groups.set(key, [span]);
    else g.push(span);
    this.spans++;
  }

  /** Records (traces) collected so far. */
  get size(): number {
    return this.groups.size;
  }

  /** Encodes and empties the groups; undefined when there are none. */
  take(): KeyedRecords | undefined {
    if (this.groups.size === 0) return undefined;
    const encoded: Uint8Array[] = [];
    const keys: string[] = [];
    let total = 0;
    for (const [key, spans] of this.groups) {
      const bytes = this.encode(spans);
      encoded.push(bytes);
      keys.push(key);
      total += bytes.length;
    }
    const data = new ArrayBuffer(total);
    const view = new Uint8Array(data);
    const ends = new Uint32Array(encoded.length);
    let pos = 0;
    for (let i = 0; i < encoded.length; i++) {
      const bytes = encoded[i] as Uint8Array;
      view.set(bytes, pos);
      pos += bytes.length;
      ends[i] = pos;
    }
    const spans = this.spans;
    this.groups = new Map();
    this.spans = 0;
    return { data, ends, keys, spans };
  }
}
