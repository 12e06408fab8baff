/**
 * What a sampling run stored, judged through the stock Zipkin server's API against the labelled
 * workload (bench/workload.ts): which error and slow traces are there, whether every shape is there
 * at least once, and how many spans were stored of how many produced. Used by the regression test
 * (which asserts the goals) and the bench `sampling` phase (which prints them).
 */
import type { LabelledTrace, TraceClass } from './workload.js';

export interface SamplingOutcome {
  traces: number;
  inputSpans: number;
  storedTraces: number;
  storedSpans: number;
  /** Stored / input spans. */
  storedFraction: number;
  byClass: Record<TraceClass, { total: number; stored: number }>;
  shapes: { total: number; stored: number; missing: string[] };
  /** Stored spans without a `tracefold.sampled` tag (should be none). */
  untagged: number;
  /** Traces stored by policy (from the tag of their spans). */
  byPolicy: Record<string, number>;
  /** Error and slow traces that were not stored (`<class> <shape> <trace ID>`, at most 20). */
  lost: string[];
}

interface ZipkinSpan {
  traceId: string;
  id: string;
  name?: string;
  tags?: Record<string, string>;
}

/** Thrown when the stock server cannot encode an answer that large (its response buffer is capped). */
class TooLarge extends Error {}

async function getJson<T>(url: string): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(url);
    if (res.ok) return (await res.json()) as T;
    const body = (await res.text()).slice(0, 200);
    if (res.status === 500 && body.includes('exceeds maxCapacity')) throw new TooLarge(`GET ${url}: HTTP 500 ${body}`);
    // The stock server answers 500 now and then while OpenSearch refreshes; a few retries, then fail.
    if (attempt >= 4 || res.status < 500) throw new Error(`GET ${url}: HTTP ${res.status} ${body}`);
    await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
  }
}

/**
 * The stock server's Elasticsearch reader fetches the spans of the traces it found in one search of
 * at most this many hits, and says nothing when there were more: the traces past it are missing
 * from the answer (measured: 968 traces of 11 spans asked for, exactly 10,000 spans answered).
 */
const ZIPKIN_SPANS_PER_ANSWER = 10_000;

/**
 * The traces with a span of this name in (endTs - lookback, endTs]. An answer too large for the
 * stock server's response buffer (it fails with HTTP 500 "exceeds maxCapacity") or one that may be
 * cut at the server's span cap is asked again as two halves of the time range.
 */
async function tracesNamed(zipkinUrl: string, name: string, endTsMs: number, lookbackMs: number): Promise<ZipkinSpan[][]> {
  const url = `${zipkinUrl}/api/v2/traces?spanName=${encodeURIComponent(name)}&endTs=${endTsMs}&lookback=${lookbackMs}&limit=10000`;
  let traces: ZipkinSpan[][] | undefined;
  try {
    traces = await getJson<ZipkinSpan[][]>(url);
  } catch (err) {
    if (!(err instanceof TooLarge) || lookbackMs < 2_000) throw err;
  }
  if (traces !== undefined) {
    let spans = 0;
    for (const t of traces) spans += t.length;
    if (spans < ZIPKIN_SPANS_PER_ANSWER) return traces;
    if (lookbackMs < 2_000)
      throw new Error(`GET ${url}: ${spans} spans in under 2 s of time range, the stock server's cap; cannot split further`);
  }
  const half = Math.floor(lookbackMs / 2);
  const later = await tracesNamed(zipkinUrl, name, endTsMs, half);
  const earlier = await tracesNamed(zipkinUrl, name, endTsMs - half, lookbackMs - half);
  return [...later, ...earlier];
}

/** Every stored trace of the workload's time range, through `/api/v2/traces` (one query per shape). */
export async function checkSampling(
  zipkinUrl: string,
  workload: readonly LabelledTrace[],
  endTsMs: number,
  lookbackMs: number,
): Promise<SamplingOutcome> {
  const byClass: SamplingOutcome['byClass'] = {
    common: { total: 0, stored: 0 },
    error: { total: 0, stored: 0 },
    slow: { total: 0, stored: 0 },
    rare: { total: 0, stored: 0 },
  };
  const shapeRoots = new Map<string, string>();
  let inputSpans = 0;
  for (const t of workload) {
    byClass[t.class].total++;
    inputSpans += t.spans.length;
    if (!shapeRoots.has(t.shape)) shapeRoots.set(t.shape, `${t.shape}:`);
  }
  // Zipkin's span-name search is exact, so list each shape's root span names from the workload.
  const rootNames = new Map<string, Set<string>>();
  for (const t of workload) {
    const prefix = `${t.shape}:`.toLowerCase();
    for (const s of t.spans) {
      const name = s.name ?? '';
      if (name.startsWith(prefix)) {
        let set = rootNames.get(t.shape);
        if (set === undefined) {
          set = new Set();
          rootNames.set(t.shape, set);
        }
        set.add(name);
      }
    }
  }
  const stored = new Map<string, ZipkinSpan[]>();
  const shapesStored = new Set<string>();
  for (const [shape, names] of rootNames) {
    for (const name of names) {
      const traces = await tracesNamed(zipkinUrl, name, endTsMs, lookbackMs);
      if (traces.length > 0) shapesStored.add(shape);
      for (const spans of traces) {
        const id = spans[0]?.traceId;
        if (id !== undefined) stored.set(id, spans);
      }
    }
  }
  let storedSpans = 0;
  let untagged = 0;
  const byPolicy: Record<string, number> = {};
  for (const spans of stored.values()) {
    storedSpans += spans.length;
    let policy: string | undefined;
    for (const s of spans) {
      const p = s.tags?.['tracefold.sampled'];
      if (p === undefined) untagged++;
      else policy ??= p;
    }
    byPolicy[policy ?? '(none)'] = (byPolicy[policy ?? '(none)'] ?? 0) + 1;
  }
  const lost: string[] = [];
  for (const t of workload) {
    if (stored.has(t.traceId)) byClass[t.class].stored++;
    else if ((t.class === 'error' || t.class === 'slow') && lost.length < 20) lost.push(`${t.class} ${t.shape} ${t.traceId}`);
  }
  const missing = [...rootNames.keys()].filter((s) => !shapesStored.has(s));
  return {
    traces: workload.length,
    inputSpans,
    storedTraces: stored.size,
    storedSpans,
    storedFraction: storedSpans / inputSpans,
    byClass,
    shapes: { total: rootNames.size, stored: shapesStored.size, missing },
    untagged,
    byPolicy,
    lost,
  };
}
