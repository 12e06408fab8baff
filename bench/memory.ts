/**
 * Phase 5, memory.
 *
 * (a) Bytes per buffered span at steady state: `memory-probe.ts` in a fresh `--expose-gc` child per
 *     measurement (heap and RSS growth after full GCs, divided by the spans the windows hold).
 * (b) Peak RSS under a burst with the search engine slowed: a local HTTP proxy in front of
 *     OpenSearch adds latency and caps bandwidth; `tracefold ingest` points at it with small,
 *     explicit limits. The topic holds 2× and then 10× the backpressure limit's worth of records:
 *     both saturate the limits, so bounded means the 10× peak is about the 2× peak (memory follows
 *     the configured limits, not the backlog), and that it stops growing while most of the backlog
 *     is still waiting.
 */
import { spawn } from 'node:child_process';
import { createServer, request } from 'node:http';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load.js';
import { consumerQueueBytes } from '../src/source/kafka/fetch.js';
import { cleanEnv, spawnTracefold, stopChild, track } from './e2e.js';
import type { ProbeArgs, ProbeResult } from './memory-probe.js';
import {
  countDocs,
  createTopic,
  deleteIndexPrefix,
  dropTopic,
  freePort,
  KAFKA,
  OPENSEARCH,
  preload,
  procSample,
  type Resources,
  scrapeSums,
} from './servers.js';
import { type Summary, summarize } from './stats.js';
import { type BaseTrace, MessageGen, repoRoot, TraceGen } from './traffic.js';

export interface ProbeSummary {
  mix: ProbeArgs['mix'];
  mode: ProbeArgs['mode'];
  spans: number;
  traces: number;
  entryChars: number;
  /** Marginal (half full → full), see memory-probe.ts. */
  heapBytesPerSpan: Summary;
  rssBytesPerSpan: Summary;
  /** From empty to full: one-off costs included. */
  heapBytesPerSpanFromStart: Summary;
  rssBytesPerSpanFromStart: Summary;
}

/** Where a node's memory is at one moment: the process's RSS and what its V8 heaps account for. */
export interface MemoryParts {
  rssBytes: number;
  /** Summed over the worker threads (`tracefold_worker_heap_bytes`). */
  workerHeapTotalBytes: number;
  workerHeapUsedBytes: number;
  workerExternalBytes: number;
  /** The coordinator thread's heap and external memory (prom-client's default metrics). */
  mainHeapTotalBytes: number;
  mainExternalBytes: number;
}

export interface BurstRun {
  multiplier: number;
  spans: number;
  /** Documents written during the observation window. */
  indexedDocs: number;
  observedSeconds: number;
  peakRssBytes: number;
  /** Highest RSS in the first half of the observation (a plateau: ≈ the peak). */
  firstHalfPeakRssBytes: number;
  /** RSS just before the first record was consumed (start-up done, no data yet). */
  idleRssBytes: number;
  maxOutstandingBytes: number;
  maxPausedPartitions: number;
  /** The samples with the highest RSS in the first half of the window and in the whole (undefined: no heap figures scraped). */
  firstHalfParts?: MemoryParts;
  peakParts?: MemoryParts;
}

export interface BurstResult {
  limits: {
    maxOutstandingBytes: number;
    windowBytesPerWorker: number;
    bulkMaxBytes: number;
    bulkInFlightPerWorker: number;
    workers: number;
    /** librdkafka's read-ahead queue, sized from the backpressure limit (src/source/kafka/fetch.ts). */
    consumerQueueBytes: number;
    /** Sum of the data the limits allow in memory at once (read-ahead + raw records + windows + bulk bodies). */
    totalBytes: number;
  };
  proxy: { latencyMs: number; bytesPerSec: number };
  runs: BurstRun[];
  /** Peak RSS at 10× / peak RSS at 2×. */
  peakRatio: number;
}

export interface MemoryOptions {
  probeSpans: number;
  runs: number;
  spansPerMessage: number;
  burstLimitBytes: number;
  burstObserveSeconds: number;
  workers: number;
  encoding: 'json-v2' | 'json-v1' | 'thrift' | 'proto3';
  progress: (line: string) => void;
  logDir: string;
}

function probeCommand(): string[] {
  const compiled = !import.meta.url.endsWith('.ts');
  const root = repoRoot();
  return compiled
    ? ['--expose-gc', join(root, 'dist', 'bench', 'memory-probe.js')]
    : ['--expose-gc', '--import', 'tsx', join(root, 'bench', 'memory-probe.ts')];
}

async function probe(args: ProbeArgs): Promise<ProbeResult> {
  const child = spawn(process.execPath, [...probeCommand(), JSON.stringify(args)], {
    cwd: repoRoot(),
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  if (code !== 0) throw new Error(`memory probe ${JSON.stringify(args)} failed (${code}): ${err.trim().split('\n').slice(-5).join(' | ')}`);
  return JSON.parse(out.trim().split('\n').pop() as string) as ProbeResult;
}

export async function runProbes(opts: MemoryOptions): Promise<ProbeSummary[]> {
  const plans: Pick<ProbeArgs, 'mix' | 'mode'>[] = [
    { mix: 'shared', mode: 'keep-all' },
    { mix: 'shared', mode: 'pipeline' },
    { mix: 'small', mode: 'pipeline' },
    { mix: 'shared', mode: 'flat' },
  ];
  const out: ProbeSummary[] = [];
  for (const p of plans) {
    const results: ProbeResult[] = [];
    for (let r = 0; r < opts.runs; r++) {
      opts.progress(`memory: ${p.mode} / ${p.mix} mix, ${opts.probeSpans} spans, run ${r + 1}/${opts.runs}`);
      results.push(await probe({ ...p, spans: opts.probeSpans, spansPerMessage: opts.spansPerMessage }));
    }
    const first = results[0] as ProbeResult;
    out.push({
      mix: p.mix,
      mode: p.mode,
      spans: first.bufferedSpans,
      traces: first.bufferedTraces,
      entryChars: first.entryChars,
      heapBytesPerSpan: summarize(results.map((x) => x.heapBytesPerSpan)),
      rssBytesPerSpan: summarize(results.map((x) => x.rssBytesPerSpan)),
      heapBytesPerSpanFromStart: summarize(results.map((x) => x.heapBytesPerSpanFromStart)),
      rssBytesPerSpanFromStart: summarize(results.map((x) => x.rssBytesPerSpanFromStart)),
    });
  }
  return out;
}

/**
 * A proxy that delays every request and shares a bandwidth cap between all of them. `close` also
 * drops the requests still waiting: forwarded after the run, they would recreate deleted indices.
 */
async function startSlowProxy(latencyMs: number, bytesPerSec: number): Promise<{ port: number; close: () => Promise<void> }> {
  const target = new URL(OPENSEARCH);
  let nextFree = 0;
  let closed = false;
  const waiting = new Set<NodeJS.Timeout>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (closed) {
        res.destroy();
        return;
      }
      const body = Buffer.concat(chunks);
      const now = Date.now();
      const start = Math.max(now, nextFree);
      nextFree = start + (body.length / bytesPerSec) * 1000;
      const timer = setTimeout(
        () => {
          waiting.delete(timer);
          const up = request(
            { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
            (answer) => {
              res.writeHead(answer.statusCode ?? 502, answer.headers);
              answer.pipe(res);
            },
          );
          up.on('error', (err) => {
            res.writeHead(502);
            res.end(err.message);
          });
          up.end(body);
        },
        nextFree - now + latencyMs,
      );
      waiting.add(timer);
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return {
    port,
    close: async () => {
      closed = true;
      for (const t of waiting) clearTimeout(t);
      waiting.clear();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

interface Scraped {
  outstanding: number;
  paused: number;
  consumed: number;
  /** The heap figures of `MemoryParts` (all 0 when the scrape failed). */
  heaps: Omit<MemoryParts, 'rssBytes'>;
}

async function scrape(port: number): Promise<Scraped> {
  const sums = await scrapeSums(`http://127.0.0.1:${port}/metrics`, [
    'tracefold_outstanding_bytes',
    'tracefold_partitions_paused',
    'tracefold_consumed_messages_total',
    'tracefold_worker_heap_bytes{kind="total"}',
    'tracefold_worker_heap_bytes{kind="used"}',
    'tracefold_worker_heap_bytes{kind="external"}',
    'tracefold_nodejs_heap_size_total_bytes',
    'tracefold_nodejs_external_memory_bytes',
  ]);
  const at = (i: number): number => sums?.[i] ?? 0;
  return {
    outstanding: at(0),
    paused: at(1),
    consumed: at(2),
    heaps: {
      workerHeapTotalBytes: at(3),
      workerHeapUsedBytes: at(4),
      workerExternalBytes: at(5),
      mainHeapTotalBytes: at(6),
      mainExternalBytes: at(7),
    },
  };
}

/** The two burst sizes, in multiples of the backpressure limit's worth of raw records. */
export const BURSTS = [2, 10] as const;

export async function runBurst(bases: readonly BaseTrace[], opts: MemoryOptions, resources: Resources): Promise<BurstResult> {
  const proxyCfg = { latencyMs: 300, bytesPerSec: 4 * 1024 * 1024 };
  const windowBytes = Math.max(4 * 1024 * 1024, Math.floor(opts.burstLimitBytes / 2));
  const bulkMaxBytes = 5 * 1024 * 1024;
  const bulkInFlight = 2;
  // As the child derives it from its config: the budget below, every other option at its default.
  const loaded = loadConfig({ command: 'ingest', argv: ['--backpressure-max-outstanding-bytes', String(opts.burstLimitBytes)], env: {} });
  if (!loaded.ok) throw new Error(`burst config: ${loaded.errors.join('; ')}`);
  const consumerQueue = consumerQueueBytes({
    batchMaxBytes: loaded.config.kafka.batchMaxBytes,
    maxOutstandingBytes: loaded.config.backpressure.maxOutstandingBytes,
  });
  const limits = {
    maxOutstandingBytes: opts.burstLimitBytes,
    windowBytesPerWorker: windowBytes,
    bulkMaxBytes,
    bulkInFlightPerWorker: bulkInFlight,
    workers: opts.workers,
    consumerQueueBytes: consumerQueue,
    totalBytes: consumerQueue + opts.burstLimitBytes + windowBytes * opts.workers + bulkMaxBytes * bulkInFlight * opts.workers,
  };
  const nowMicros = (): number => Date.now() * 1000;
  const gen = new MessageGen(new TraceGen(bases, { seed: 23, startMicros: nowMicros }), opts.encoding, opts.spansPerMessage);
  // How many spans make one limit's worth of raw records, from a sample of this very traffic.
  const sample = new MessageGen(new TraceGen(bases, { seed: 99 }), opts.encoding, opts.spansPerMessage).messages(5_000);
  const baseSpans = Math.ceil(opts.burstLimitBytes / (sample.bytes / sample.spans));
  const runs: BurstRun[] = [];
  for (const multiplier of BURSTS) {
    // A fresh proxy per run: its bandwidth queue must not carry one run's backlog into the next.
    const proxy = await startSlowProxy(proxyCfg.latencyMs, proxyCfg.bytesPerSec);
    try {
      const id = `${Date.now().toString(36)}x${multiplier}`;
      const topic = `bench-burst-${id}`;
      const index = `bench-burst-${id}`;
      await createTopic(topic, 4);
      resources.onCleanup(`topic ${topic}`, async () => {
        await dropTopic(topic);
        await dropTopic(`${topic}.dead-letter`);
      });
      resources.onCleanup(`indices ${index}-*`, () => deleteIndexPrefix(index));
      opts.progress(`memory: burst ${multiplier}×: pre-loading ${baseSpans * multiplier} spans`);
      const loaded = await preload(topic, gen, baseSpans * multiplier, opts.progress);
      const adminPort = await freePort();
      const child = spawnTracefold(
        [
          'ingest',
          '--kafka-bootstrap-servers',
          KAFKA,
          '--kafka-topic',
          topic,
          '--kafka-group-id',
          `bench-burst-${id}`,
          '--es-hosts',
          `http://127.0.0.1:${proxy.port}`,
          '--es-index',
          index,
          '--es-index-shards',
          '1',
          '--es-index-replicas',
          '0',
          '--es-timeout-ms',
          '120s',
          '--es-bulk-max-bytes',
          String(bulkMaxBytes),
          '--es-bulk-max-in-flight',
          String(bulkInFlight),
          '--backpressure-max-outstanding-bytes',
          String(opts.burstLimitBytes),
          '--window-max-buffered-bytes-per-worker',
          String(windowBytes),
          '--workers',
          String(opts.workers),
          '--shutdown-timeout-ms',
          '2s',
          '--admin-port',
          String(adminPort),
        ],
        opts.logDir,
        index,
      );
      const t0 = performance.now();
      let peak = 0;
      let firstHalfPeak = 0;
      let idleRss = 0;
      let maxOutstanding = 0;
      let maxPaused = 0;
      let firstHalfParts: MemoryParts | undefined;
      let peakParts: MemoryParts | undefined;
      try {
        while ((performance.now() - t0) / 1000 < opts.burstObserveSeconds && child.exitCode === undefined) {
          const s = child.proc.pid === undefined ? undefined : procSample(child.proc.pid);
          const m = await scrape(adminPort);
          if (s) {
            peak = Math.max(peak, s.hwmBytes);
            const firstHalf = (performance.now() - t0) / 1000 < opts.burstObserveSeconds / 2;
            if (firstHalf) firstHalfPeak = peak;
            if (m.consumed === 0) idleRss = s.rssBytes;
            // Which thread's heap holds the memory when RSS is highest (workers report once a second).
            if (m.heaps.workerHeapTotalBytes > 0) {
              const parts = { rssBytes: s.rssBytes, ...m.heaps };
              if (peakParts === undefined || parts.rssBytes > peakParts.rssBytes) peakParts = parts;
              if (firstHalf && (firstHalfParts === undefined || parts.rssBytes > firstHalfParts.rssBytes)) firstHalfParts = parts;
            }
          }
          maxOutstanding = Math.max(maxOutstanding, m.outstanding);
          maxPaused = Math.max(maxPaused, m.paused);
          await new Promise((r) => setTimeout(r, 250));
        }
        if (child.exitCode !== undefined) throw new Error(`tracefold exited early with ${child.exitCode} (log: ${child.logFile})`);
        const s = child.proc.pid === undefined ? undefined : procSample(child.proc.pid);
        if (s) peak = Math.max(peak, s.hwmBytes);
      } finally {
        await stopChild(child, 20_000);
        await proxy.close();
      }
      const indexed = await countDocs(`${index}-span-*`, true).catch(() => Number.NaN);
      runs.push({
        multiplier,
        spans: loaded.spans,
        indexedDocs: indexed,
        observedSeconds: (performance.now() - t0) / 1000,
        peakRssBytes: peak,
        firstHalfPeakRssBytes: firstHalfPeak,
        idleRssBytes: idleRss,
        maxOutstandingBytes: maxOutstanding,
        maxPausedPartitions: maxPaused,
        ...(firstHalfParts === undefined ? {} : { firstHalfParts }),
        ...(peakParts === undefined ? {} : { peakParts }),
      });
      opts.progress(
        `memory: burst ${multiplier}×: peak RSS ${(peak / 1024 ** 2).toFixed(0)} MiB, ${indexed} of ${loaded.spans} written in ${opts.burstObserveSeconds} s`,
      );
    } finally {
      await proxy.close();
    }
  }
  const one = runs.find((r) => r.multiplier === BURSTS[0]);
  const ten = runs.find((r) => r.multiplier === BURSTS[1]);
  return { limits, proxy: proxyCfg, runs, peakRatio: one && ten ? ten.peakRssBytes / one.peakRssBytes : Number.NaN };
}
