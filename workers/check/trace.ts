/**
 * Data-quality rules over an assembled trace (the span-level rules run before assembly):
 *  - `duplicate_span_id`: two spans of one trace with the same ID, kind and local service but
 *    different content (a tracer reusing IDs). Client and server halves of one RPC share an ID
 *    legitimately (different kinds), and the same span delivered twice has the same content (and
 *    the same document `_id`): neither is a duplicate. The first span stays; the rest are dropped or
 *    quarantined.
 *  - `mixed_trace_id`: a trace whose spans carry both a 128-bit ID and its lower 64 bits (a tracer
 *    that propagates only the lower half). Zipkin's reader merges such traces only with
 *    STRICT_TRACE_ID=false; `fix` gives the 64-bit spans the 128-bit ID (as Zipkin's merge does), so
 *    the trace is one under either setting. When the lower half comes with more than one high half,
 *    nothing says which is right and the spans are left as they are.
 * Each returns, per span index, what happens to it; most traces need no array at all.
 */
import { FACT_LONG_ID, type SpanFacts } from '../assemble/facts.js';
import type { TraceCheckSettings } from '../protocol.js';

export type TraceRule = 'duplicate_span_id' | 'mixed_trace_id';

export interface TraceVerdict {
  rule: TraceRule;
  action: 'fix' | 'drop' | 'quarantine';
  /** For `fix`: the trace ID the span gets. */
  traceId?: string;
}

export class TraceChecker {
  constructor(private readonly settings: TraceCheckSettings) {}

  get active(): boolean {
    return this.settings.duplicateSpanId !== 'off' || this.settings.mixedTraceId !== 'off';
  }

  /** Whether spans with this trace ID must be kept as spans (not documents) until the trace is checked. */
  defersEncoding(traceId: string): boolean {
    return this.settings.mixedTraceId === 'fix' && traceId.length === 16;
  }

  /**
   * Verdicts by span index, or null when every span passes. `traceIdOf(i)` gives span i's full trace
   * ID, or '' when it is not known (a span buffered as facts only); it is asked only for 128-bit
   * spans of a trace that also has 64-bit ones (rare).
   */
  check(spans: readonly SpanFacts[], traceIdOf: (i: number) => string): (TraceVerdict | undefined)[] | null {
    let out: (TraceVerdict | undefined)[] | null = null;
    const mixed = this.settings.mixedTraceId;
    if (mixed !== 'off') {
      let longs = 0;
      for (const f of spans) if ((f.flags & FACT_LONG_ID) !== 0) longs++;
      let long: string | undefined;
      let ambiguous = false;
      const hasShort = longs > 0 && longs < spans.length;
      for (let i = 0; hasShort && i < spans.length; i++) {
        if (((spans[i] as SpanFacts).flags & FACT_LONG_ID) === 0) continue;
        const id = traceIdOf(i);
        if (id === '') continue;
        if (long === undefined) long = id;
        else if (long !== id) ambiguous = true;
      }
      if (long !== undefined && hasShort && !ambiguous) {
        const verdict: TraceVerdict =
          mixed === 'fix' ? { rule: 'mixed_trace_id', action: 'fix', traceId: long } : { rule: 'mixed_trace_id', action: mixed };
        out = new Array<TraceVerdict | undefined>(spans.length).fill(undefined);
        for (let i = 0; i < spans.length; i++) if (((spans[i] as SpanFacts).flags & FACT_LONG_ID) === 0) out[i] = verdict;
      }
    }
    const dup = this.settings.duplicateSpanId;
    if (dup !== 'off' && spans.length > 1) {
      const first = new Map<string, SpanFacts>();
      const verdict: TraceVerdict = { rule: 'duplicate_span_id', action: dup };
      for (let i = 0; i < spans.length; i++) {
        const f = spans[i] as SpanFacts;
        const key = f.id + '\u0001' + f.kind + '\u0001' + f.service;
        const seen = first.get(key);
        if (seen === undefined) first.set(key, f);
        else if (!sameContent(seen, f) && out?.[i]?.action !== 'drop' && out?.[i]?.action !== 'quarantine') {
          out ??= new Array<TraceVerdict | undefined>(spans.length).fill(undefined);
          out[i] = verdict;
        }
      }
    }
    return out;
  }
}

function sameContent(a: SpanFacts, b: SpanFacts): boolean {
  return (
    a.timestamp === b.timestamp &&
    a.duration === b.duration &&
    a.name === b.name &&
    a.parentId === b.parentId &&
    a.remoteService === b.remoteService &&
    a.flags === b.flags
  );
}
