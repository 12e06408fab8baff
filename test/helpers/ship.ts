/** Span log lines for `tracefold ship` tests, and what arrived in Kafka judged by span identity. */
import { encodeJsonV1 } from '../../core/codec/encode/json-v1.js';
import { encodeJsonV2 } from '../../core/codec/encode/json-v2.js';
import type { Span } from '../../core/model/span.js';
import { type Identity, spanIdentity } from './identity.js';
import type { ReadRecord } from './kafka.js';

const text = new TextDecoder();

/**
 * One trace as log lines, varied the way services log: trace `i` is one JSON v2 array line, one v2
 * span per line, or one JSON v1 array line (every third).
 */
export function traceLines(spans: readonly Span[], i: number): string[] {
  switch (i % 3) {
    case 0:
      return [text.decode(encodeJsonV2(spans))];
    case 1:
      return spans.map((s) => text.decode(encodeJsonV2([s])).slice(1, -1));
    default:
      return [text.decode(encodeJsonV1(spans))];
  }
}

export interface Shipped {
  /** Identity → times it arrived. */
  spans: Map<Identity, number>;
  /** Trace IDs whose spans arrived in more than one partition (must be none). */
  splitTraces: string[];
  /** Messages whose key is not the lower 64 bits of their spans' trace ID. */
  badKeys: number;
  messages: number;
}

export function shippedSpans(records: readonly ReadRecord[]): Shipped {
  const spans = new Map<Identity, number>();
  const partitionOf = new Map<string, number>();
  const split = new Set<string>();
  let badKeys = 0;
  for (const r of records) {
    const list = JSON.parse(r.value.toString('utf8')) as Array<{ traceId: string }>;
    for (const s of list) {
      const k = spanIdentity(s);
      spans.set(k, (spans.get(k) ?? 0) + 1);
      const low = s.traceId.slice(-16).padStart(16, '0');
      if (r.key !== low) badKeys++;
      const p = partitionOf.get(low);
      if (p === undefined) partitionOf.set(low, r.partition);
      else if (p !== r.partition) split.add(low);
    }
  }
  return { spans, splitTraces: [...split], badKeys, messages: records.length };
}
