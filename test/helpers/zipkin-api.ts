/**
 * Reads from a stock Zipkin server's API, the tests' oracle. On this 2-core machine Zipkin now and
 * then answers 500 when its own search-engine call timed out or hit a day index still being
 * created: that is the oracle's hiccup, not its answer, so it is asked again a few times before a
 * test judges. 404 (no such trace) is an answer: null.
 */
import { encodeJsonV2 } from '../../core/codec/encode/json-v2.js';
import type { Span } from '../../core/model/span.js';

export async function zipkinGet<T>(base: string, path: string, attempts = 4): Promise<T | null> {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${base}${path}`);
    if (res.status === 404) {
      await res.arrayBuffer();
      return null;
    }
    if (res.status >= 500 && attempt < attempts) {
      await res.arrayBuffer();
      await new Promise((r) => setTimeout(r, 1000 * attempt));
      continue;
    }
    if (res.status !== 200) throw new Error(`${base}${path} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
    return (await res.json()) as T;
  }
}

/**
 * Posts spans to a Zipkin server and waits until they are stored. Zipkin answers 202 before its
 * storage call runs (the collector hands the spans to an executor and reports success at once), so
 * a read straight after the 202 can miss the batch; batches may even land out of order. One call
 * stores its batch whole, so the last span being readable means the batch is.
 */
export async function zipkinPost(base: string, spans: readonly Span[], timeoutMs = 30_000): Promise<void> {
  const res = await fetch(`${base}/api/v2/spans`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: encodeJsonV2(spans),
  });
  if (res.status !== 202) throw new Error(`POST ${base}/api/v2/spans answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  await res.arrayBuffer();
  const last = spans.at(-1);
  if (last === undefined) return;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const trace = await zipkinGet<{ id: string }[]>(base, `/api/v2/trace/${last.traceId}`);
    if (trace?.some((s) => s.id === last.id)) return;
    if (Date.now() > deadline) throw new Error(`span ${last.traceId}/${last.id} posted to ${base} not readable after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
