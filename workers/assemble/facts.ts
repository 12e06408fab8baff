/**
 * Span facts: the compact summary of a span that trace-level stages need (sampling, trace-level
 * quality rules, dependency links) once its trace is assembled. A buffered span is its Elasticsearch
 * document (or nothing, when the document was already written through) plus these facts, so the
 * window never keeps the decoder's span objects (README, "What a buffered span is").
 *
 * Strings are interned per worker (service and span names repeat across millions of spans): a
 * buffered span then costs its own fields, not a copy of its names.
 */
import type { Kind, Span } from '../../core/model/span.js';

/** Bits of `SpanFacts.flags`. */
export const FACT_ERROR = 1;
export const FACT_DEBUG = 2;
export const FACT_SHARED = 4;
/** The span's trace ID has 128 bits (else 64). */
export const FACT_LONG_ID = 8;
/** The span has an `error` tag (what Zipkin's dependency linker counts; FACT_ERROR is wider). */
export const FACT_ERROR_TAG = 16;
/** The span has no parent ID: its trace's root (the trace windows wait for it, windows.ts). */
export const FACT_ROOT = 32;

/**
 * The trace ID is not among the facts: a window holds one trace, keyed by its lower 64 bits, and
 * whether the span's ID had 128 bits is a flag (FACT_LONG_ID); the rare rule that needs the full ID
 * reads it from the span's document.
 */
export interface SpanFacts {
  id: string;
  /** '' when the span is a root. */
  parentId: string;
  /** '' when absent. */
  kind: Kind | '';
  /** Local service name, '' when absent. */
  service: string;
  /** Remote service name, '' when absent. */
  remoteService: string;
  /** Span name, '' when absent. */
  name: string;
  /** Epoch µs, 0 when absent. */
  timestamp: number;
  /** µs, 0 when absent. */
  duration: number;
  /** FACT_* bits. */
  flags: number;
}

const INTERN_LIMIT = 50_000;

/** Bounded string interning: names repeat, so one copy serves every buffered span. */
export class Interner {
  private table = new Map<string, string>();

  intern(s: string | undefined): string {
    if (s === undefined || s === '') return '';
    const hit = this.table.get(s);
    if (hit !== undefined) return hit;
    // A runaway cardinality (IDs in span names) must not grow the table without bound.
    if (this.table.size >= INTERN_LIMIT) this.table = new Map();
    this.table.set(s, s);
    return s;
  }
}

/**
 * One field's interning with the last value remembered: the spans of one message mostly come from
 * one reporter, so a string equal to the previous one (a length and byte compare) skips the
 * table's hash and probe.
 */
export class InternedField {
  private last = '';

  constructor(private readonly interner: Interner) {}

  intern(s: string | undefined): string {
    if (s === undefined || s === '') return '';
    if (s === this.last) return this.last;
    const v = this.interner.intern(s);
    this.last = v;
    return v;
  }
}

/**
 * Whether a span records a failure, by the conventions Zipkin users rely on: an `error` tag (any
 * value, as Zipkin's UI and DependencyLinker count it), an HTTP status ≥ 500, or a gRPC status
 * other than OK.
 */
export function isErrorSpan(tags: Record<string, string> | undefined): boolean {
  if (tags === undefined) return false;
  if (tags.error !== undefined) return true;
  const http = tags['http.status_code'] ?? tags['http.response.status_code'];
  if (http !== undefined) {
    const code = Number(http);
    if (code >= 500 && code < 600) return true;
  }
  const grpc = tags['grpc.status_code'] ?? tags['rpc.grpc.status_code'];
  if (grpc !== undefined && grpc !== '0' && grpc !== 'OK') return true;
  return false;
}

export function factFlags(span: Span): number {
  let flags = 0;
  if (isErrorSpan(span.tags)) flags |= FACT_ERROR;
  if (span.tags?.error !== undefined) flags |= FACT_ERROR_TAG;
  if (span.debug === true) flags |= FACT_DEBUG;
  if (span.shared === true) flags |= FACT_SHARED;
  if (span.traceId.length > 16) flags |= FACT_LONG_ID;
  if (span.parentId === undefined) flags |= FACT_ROOT;
  return flags;
}

/** The flags the dependency linker reads (no error test beyond the `error` tag): cheaper per span. */
export function linkFlags(span: Span): number {
  let flags = 0;
  if (span.tags?.error !== undefined) flags |= FACT_ERROR_TAG;
  if (span.debug === true) flags |= FACT_DEBUG;
  if (span.shared === true) flags |= FACT_SHARED;
  if (span.traceId.length > 16) flags |= FACT_LONG_ID;
  if (span.parentId === undefined) flags |= FACT_ROOT;
  return flags;
}

/** The facts of a span as a separate object (tests, tools); the pipeline stores them in its window entry. */
export function factsOf(span: Span, interner: Interner): SpanFacts {
  return {
    id: span.id,
    parentId: span.parentId ?? '',
    kind: span.kind ?? '',
    service: interner.intern(span.localEndpoint?.serviceName),
    remoteService: interner.intern(span.remoteEndpoint?.serviceName),
    name: interner.intern(span.name),
    timestamp: span.timestamp ?? 0,
    duration: span.duration ?? 0,
    flags: factFlags(span),
  };
}

/** The key a trace is assembled under: its lower 64 bits, so 64- and 128-bit IDs of one trace meet. */
export function traceKey(traceId: string): string {
  return traceId.length > 16 ? traceId.slice(traceId.length - 16) : traceId;
}

/** What trace-level stages read of an assembled trace. */
export interface TraceSummary {
  key: string;
  spans: readonly SpanFacts[];
  /** The root span (no parent, or whose parent is not in the trace; earliest first), if any. */
  root: SpanFacts | undefined;
  /** First timestamp to last end, µs; 0 when no span has a timestamp. */
  duration: number;
  error: boolean;
  debug: boolean;
}

export function summarize(key: string, spans: readonly SpanFacts[]): TraceSummary {
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  let error = false;
  let debug = false;
  let root: SpanFacts | undefined;
  let ids: Set<string> | undefined;
  for (const f of spans) {
    if (f.timestamp > 0) {
      if (f.timestamp < first) first = f.timestamp;
      const end = f.timestamp + f.duration;
      if (end > last) last = end;
    }
    if ((f.flags & FACT_ERROR) !== 0) error = true;
    if ((f.flags & FACT_DEBUG) !== 0) debug = true;
    if (f.parentId === '' && isEarlier(f, root)) root = f;
  }
  if (root === undefined && spans.length > 0) {
    // No span without a parent (the root was not reported, or arrives late): the earliest span whose
    // parent is missing stands in for it.
    ids = new Set(spans.map((f) => f.id));
    for (const f of spans) if (!ids.has(f.parentId) && isEarlier(f, root)) root = f;
  }
  return { key, spans, root, duration: last > first ? last - first : 0, error, debug };
}

function isEarlier(f: SpanFacts, than: SpanFacts | undefined): boolean {
  if (than === undefined) return true;
  if (f.timestamp === 0) return false;
  return than.timestamp === 0 || f.timestamp < than.timestamp;
}
