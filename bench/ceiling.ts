/**
 * The machine's ceiling for the end-to-end phases: the same Zipkin span documents tracefold would
 * write (same generator, same `_id`s, the span index template tracefold installs), pre-built into
 * bulk bodies and fired straight at `_bulk` of the same engine in the same rounds — 2 connections,
 * 2,000 documents per request, explicit `_id`s — with nothing else in the way: no Kafka, no decode,
 * no windows. Any ingest's rate divided by it says how much of what the engine takes the ingest gets.
 *
 * Timed from the first request sent to the last acknowledged and the documents searchable (a
 * refresh, as the ingest runs are timed to searchable); then every `_id` is checked like theirs.
 * Rejected requests (429, item errors) are sent again whole: explicit IDs make that idempotent.
 */
import { parseVersion } from '../core/elasticsearch/client.js';
import { templateBody } from '../src/sink/elasticsearch/templates.js';
import { bulkLines, type DocumentSettings } from '../workers/encode/es-document.js';
import { type Completion, completionVerdict } from './completion.js';
import { engineCpuSeconds, OPENSEARCH, storedIds } from './servers.js';
import { type Summary, summarize } from './stats.js';
import type { TraceGen } from './traffic.js';

export const CEILING_CONNECTIONS = 2;
export const CEILING_DOCS_PER_REQUEST = 2_000;

export interface CeilingBodies {
  bodies: Buffer[];
  /** Bulk items in all (a span whose document repeats in its trace is sent twice, like ingest does). */
  items: number;
  ids: string[];
}

/** At least `maxDocs` distinct documents' worth of whole traces from `gen`, as bulk bodies. */
export function buildBulkBodies(gen: TraceGen, prefix: string, maxDocs: number, perRequest = CEILING_DOCS_PER_REQUEST): CeilingBodies {
  const settings: DocumentSettings = {
    index: prefix,
    indexTypeDelimiter: '-',
    dateSeparator: '-',
    supportsTypes: false,
    searchEnabled: true,
  };
  const bodies: Buffer[] = [];
  const ids = new Set<string>();
  let pending: string[] = [];
  let items = 0;
  const flush = (): void => {
    if (pending.length === 0) return;
    bodies.push(Buffer.from(pending.join('')));
    pending = [];
  };
  while (ids.size < maxDocs) {
    for (const s of gen.trace()) {
      const lines = bulkLines(s, settings);
      // The action line ends in `"_id":"<id>"}}`: the ID is what comes before that.
      const action = lines.slice(0, lines.indexOf('\n'));
      ids.add(action.slice(action.lastIndexOf('"_id":"') + 7, -3));
      pending.push(lines);
      items++;
      if (pending.length === perRequest) flush();
    }
  }
  flush();
  return { bodies, items, ids: [...ids] };
}

export interface CeilingRun {
  run: number;
  docs: number;
  items: number;
  requests: number;
  /** Requests sent again after a 429 or item errors. */
  retries: number;
  /** First request → last acknowledged and refreshed. */
  seconds: number;
  /** Of which the refresh at the end. */
  refreshSeconds?: number;
  docsPerSec: number;
  /** The engine's CPU per document over the run (NaN when the engine is not a local process). */
  engineCpuMicrosPerDoc: number;
  completion?: Completion;
  error?: string;
}

async function bulk(body: Buffer): Promise<{ ok: boolean; status: number }> {
  const res = await fetch(`${OPENSEARCH}/_bulk`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body,
    signal: AbortSignal.timeout(120_000),
  });
  const text = await res.text();
  // `"errors":false` is near the start of a bulk answer; no need to parse thousands of items.
  return { ok: res.status === 200 && text.slice(0, 64).includes('"errors":false'), status: res.status };
}

/** Installs the span template tracefold would (1 shard, 0 replicas), so the ceiling indexes under the same mappings. */
export async function installSpanTemplate(prefix: string): Promise<void> {
  const root = await fetch(`${OPENSEARCH}/`, { signal: AbortSignal.timeout(10_000) });
  const version = parseVersion(await root.json());
  const body = templateBody('span', version, {
    index: prefix,
    shards: 1,
    replicas: 0,
    searchEnabled: true,
    strictTraceId: true,
    dateSeparator: '-',
  });
  const res = await fetch(`${OPENSEARCH}/_template/${prefix}${version.delimiter}span_template`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  if (res.status !== 200) throw new Error(`span template for ${prefix}: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
}

/** One run: `CEILING_CONNECTIONS` loops, each sending the next body when its last one is acknowledged. */
export async function ceilingRun(run: number, prefix: string, b: CeilingBodies): Promise<CeilingRun> {
  await installSpanTemplate(prefix);
  let next = 0;
  let retries = 0;
  const cpu0 = engineCpuSeconds();
  const t0 = performance.now();
  const loop = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      const body = b.bodies[i];
      if (body === undefined) return;
      for (let attempt = 0; ; attempt++) {
        const r = await bulk(body);
        if (r.ok) break;
        if (attempt >= 20) throw new Error(`bulk request ${i} still failing after ${attempt} retries (HTTP ${r.status})`);
        retries++;
        await new Promise((res) => setTimeout(res, Math.min(2000, 50 * 2 ** attempt)));
      }
    }
  };
  const out: CeilingRun = {
    run,
    docs: b.ids.length,
    items: b.items,
    requests: b.bodies.length,
    retries,
    seconds: Number.NaN,
    docsPerSec: Number.NaN,
    engineCpuMicrosPerDoc: Number.NaN,
  };
  try {
    await Promise.all(Array.from({ length: CEILING_CONNECTIONS }, loop));
    const t1 = performance.now();
    await fetch(`${OPENSEARCH}/${prefix}-span-*/_refresh`, { method: 'POST', signal: AbortSignal.timeout(60_000) });
    out.seconds = (performance.now() - t0) / 1000;
    out.refreshSeconds = (performance.now() - t1) / 1000;
    out.docsPerSec = b.ids.length / out.seconds;
    const cpu1 = engineCpuSeconds();
    if (cpu0 !== undefined && cpu1 !== undefined) out.engineCpuMicrosPerDoc = ((cpu1 - cpu0) * 1e6) / b.ids.length;
  } catch (err) {
    out.error = (err as Error).message;
  }
  out.retries = retries;
  const { found, count } = await storedIds(`${prefix}-span-*`, b.ids);
  out.completion = completionVerdict(b.ids, found, count);
  if (!out.completion.complete) {
    out.error = `did not complete: ${out.completion.found} of ${out.completion.expected} stored${out.error ? `, ${out.error}` : ''}`;
    out.docsPerSec = Number.NaN;
  }
  return out;
}

export interface CeilingSummary {
  runs: CeilingRun[];
  docsPerSec: Summary | undefined;
  connections: number;
  docsPerRequest: number;
  /** tracefold's rates as fractions of the ceiling, paired by round (completed runs only). */
  fractions: { wall?: Summary; drain?: Summary; active?: Summary };
  /** What the machine's cores allow when the engine runs beside tracefold (see `cpuBound`). */
  cpu?: CeilingCpu;
}

/** CPU per document of the engine alone, of the engine and of tracefold in tracefold's runs, and the bound they give. */
export interface CeilingCpu {
  cores: number;
  engineAlone: Summary;
  engineWithTracefold: Summary;
  tracefold: Summary;
  /** cores / (engine + tracefold CPU per document), as a fraction of the ceiling, paired by round. */
  boundFraction: Summary;
}

/**
 * The rate both processes can reach together when they share `cores` and nothing else runs:
 * each document costs the engine `engineMicros` and tracefold `tracefoldMicros` of CPU. As a
 * fraction of the ceiling (the engine alone, with every core), it bounds tracefold's fraction on a
 * machine that also hosts the engine. NaN when a figure is missing.
 */
export function cpuBoundFraction(cores: number, engineMicros: number, tracefoldMicros: number, ceilingDocsPerSec: number): number {
  const perDoc = engineMicros + tracefoldMicros;
  if (!(perDoc > 0) || !(ceilingDocsPerSec > 0)) return Number.NaN;
  return (cores * 1e6) / perDoc / ceilingDocsPerSec;
}

/**
 * Rates as fractions of the ceiling measured in the same round: pairs where either figure is
 * missing (a run that did not complete has none) are left out; undefined when none is left.
 */
export function ceilingFractions(rates: readonly number[], ceilings: readonly number[]): Summary | undefined {
  const n = Math.min(rates.length, ceilings.length);
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = rates[i] as number;
    const c = ceilings[i] as number;
    if (Number.isFinite(r) && Number.isFinite(c) && c > 0) xs.push(r / c);
  }
  return xs.length === 0 ? undefined : summarize(xs);
}
