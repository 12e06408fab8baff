/**
 * Phases 3 and 4: the same pre-loaded Kafka topic ingested into one OpenSearch by `tracefold
 * ingest` (a child process: the real CLI) and by the stock Zipkin server's Kafka collector, each
 * run with a fresh consumer group and index prefix.
 *
 * A run is watched through `_count` on its span indices until the count reaches the number of
 * distinct documents produced (or for `stallMs` it neither stores a document nor consumes a record, or
 * its process dies). Then
 * every expected document `_id` is looked up after a refresh: the run is complete only if all are
 * there (extra documents are reported); otherwise it "did not complete: N of M stored, reason" and
 * gives no ratio. Rates from one run: from the first record consumed to the last document
 * searchable (start-up excluded: a JVM's start is reported, not charged), while making progress,
 * steady (10 %→90 % of the documents), and wall from process start.
 *
 * Latency: a separate, fresh process per side consuming an empty topic, warmed up with one trace,
 * then fed spans at a fixed rate, each carrying its produce time in a tag; see `measureLatency`.
 *
 * Replay (#5): `tracefold replay` of the same topic into a fresh prefix, in the same rounds, timed
 * from process start to exit and checked against the index afterwards; see `replayRun`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { logFile, startZipkin, stopServers } from '../infra/index.js';
import { ownedPid } from '../infra/server.js';
import { zipkinEnv, zipkinJvmArgs } from '../infra/zipkin.js';
import { KafkaProducer } from '../src/kafka/producer.js';
import { type Completion, completionVerdict, incompleteText } from './completion.js';
import { parseReplayReport, type ReplayPoint, type ReplayRun, summarizeReplayRun } from './replay.js';
import {
  countDocs,
  deleteIndexPrefix,
  engineCpuSeconds,
  freePort,
  KAFKA,
  OPENSEARCH,
  type ProcSample,
  procSample,
  scrapeSums,
  storedIds,
  writeRejections,
} from './servers.js';
import { activeRate, percentileSorted, rateBetween, steadyWindow } from './stats.js';
import { type MessageGen, repoRoot } from './traffic.js';

export type Side = 'tracefold' | 'zipkin';

export interface LatencyResult {
  spans: number;
  ratePerSec: number;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Live spans whose document never showed up. */
  missing: number;
  /** Poll interval: the resolution of the figures. */
  resolutionMs: number;
}

export interface SideRun {
  side: Side;
  run: number;
  /** JVM heap of a Zipkin run. */
  heap?: string;
  expectedDocs: number;
  /** Refreshed `_count` at the end. */
  indexedDocs: number;
  /** Expected document IDs not found at the end. */
  lostDocs: number;
  /** Every expected document ID found (refreshed lookup at the end). */
  complete: boolean;
  /** The ID-by-ID check at the end (absent only if the lookup itself failed). */
  completion?: Completion;
  /** First Kafka record consumed → last document searchable: the work, start-up excluded. */
  drainSeconds: number;
  drainDocsPerSec: number;
  /** Process start → first Kafka message consumed (from the side's own metrics). */
  consumeStartSeconds: number;
  /** Process start → first document searchable. */
  startupSeconds: number;
  /** Process start → last document searchable (or the last progress, when stalled). */
  wallSeconds: number;
  wallDocsPerSec: number;
  steadyDocsPerSec: number;
  peakRssBytes: number;
  cpuMicrosPerDoc: number;
  /** CPU from the first message consumed to the last document searchable, per document: start-up excluded. */
  workCpuMicrosPerDoc: number;
  /** The search engine's CPU over the same span, per document (NaN when the engine is not local). */
  engineCpuMicrosPerDoc: number;
  /** Spans the side itself reported dropping (Zipkin: zipkin_collector_spans_dropped_total). */
  selfReportedDropped: number;
  /** Writes the engine rejected (429) during the run, whole node (shared: others' writes count too). */
  engineRejections?: number;
  /** Cores' worth of time the process's threads waited, runnable, for a CPU during the steady part. */
  steadyRunQueueCores: number;
  /** Documents per second from the first to the last new document seen (a run that died still has one). */
  activeDocsPerSec: number;
  error?: string;
}

export interface IngestTarget {
  topic: string;
  spans: number;
  expectedDocs: number;
  /** Kafka records in the topic: once a side has consumed them all, only its writes are left. */
  messages: number;
  /** Every expected document `_id` (deterministic: see completion.ts). */
  ids: readonly string[];
}

export interface RunOptions {
  workers: number;
  /** JVM heap of the Zipkin side (-Xms/-Xmx). */
  zipkinHeap: string;
  /** KAFKA_STREAMS of the Zipkin side: consumer threads (its docs: one per partition at most helps). */
  zipkinStreams: number;
  stallMs: number;
  progress: (line: string) => void;
  logDir: string;
  /** More flags for the tracefold side (e.g. a sampling policy). */
  extraArgs?: readonly string[];
}

/** A side that has not written its first document by then is failing, not slow. */
const startupTimeoutMs = 120_000;

interface Sample {
  t: number;
  count: number;
  proc: ProcSample | undefined;
  /** Kafka messages the side says it consumed (its own metrics), when it answers. */
  consumed: number | undefined;
  /** Spans the side itself counted as dropped (Zipkin's collector metric). */
  dropped: number | undefined;
  /** CPU seconds of the search engine's process so far, when it runs on this machine. */
  engineCpu: number | undefined;
}

/** Reads a side's own metrics: messages consumed and spans dropped. */
type MetricsProbe = () => Promise<{ consumed: number; dropped: number } | undefined>;

/**
 * Polls `_count` (and the process) until the target count, a stall, or `abort()` says stop.
 *
 * Once the side has consumed every record (`records`, by its own metrics), each poll refreshes the
 * index first, as the ceiling does after its last acknowledged request: the end is then when the
 * side's last write is done, not when the engine's next periodic refresh (1 s) happens to show it.
 * Both sides are timed by this same rule; before that point the polls do not refresh (a refresh every
 * 250 ms while writing would change the engine's work).
 */
async function observe(
  pattern: string,
  expected: number,
  records: number,
  t0: number,
  proc: Pick<SideProcess, 'pid' | 'metrics' | 'abort'>,
  opts: Pick<RunOptions, 'stallMs' | 'progress'>,
  label: string,
): Promise<{ samples: Sample[]; complete: boolean; reason?: string }> {
  const { stallMs, progress } = opts;
  const samples: Sample[] = [];
  let lastChange = performance.now();
  let last = -1;
  let lastConsumed: number | undefined;
  let lastReport = 0;
  for (;;) {
    const why = proc.abort();
    if (why !== undefined) return { samples, complete: false, reason: why };
    const p = proc.pid();
    const allRead = lastConsumed !== undefined && lastConsumed >= records;
    const [count, m] = await Promise.all([countDocs(pattern, allRead).catch(() => last), proc.metrics()]);
    const t = performance.now();
    samples.push({
      t: (t - t0) / 1000,
      count,
      proc: p === undefined ? undefined : procSample(p),
      consumed: m?.consumed,
      dropped: m?.dropped,
      engineCpu: engineCpuSeconds(),
    });
    if (count !== last) {
      last = count;
      lastChange = t;
    }
    // Still reading records counts as progress: a slow side is not cut off as stalled while it works.
    if (m !== undefined && m.consumed !== lastConsumed) {
      if (lastConsumed !== undefined) lastChange = t;
      lastConsumed = m.consumed;
    }
    if (count >= expected) return { samples, complete: true };
    if (t - lastReport > 5000) {
      lastReport = t;
      progress(`  ${label}: ${count}/${expected} documents after ${((t - t0) / 1000).toFixed(0)} s`);
    }
    if (count <= 0 && t - t0 > startupTimeoutMs) {
      return { samples, complete: false, reason: `no document after ${startupTimeoutMs / 1000} s` };
    }
    if (count > 0 && t - lastChange > stallMs) {
      // A refresh could be all that is missing; ask once before calling it a stall.
      const refreshed = await countDocs(pattern, true).catch(() => count);
      if (refreshed >= expected) return { samples, complete: true };
      if (refreshed === count) {
        const read = lastConsumed === undefined ? 'records consumed unknown' : `${lastConsumed} records consumed`;
        const dropped = m?.dropped ? `, ${m.dropped} spans dropped by its own count` : '';
        return { samples, complete: false, reason: `no new document and no record consumed for ${stallMs / 1000} s (${read}${dropped})` };
      }
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Rate and run-queue wait between the first samples at or above 10 % and 90 % of `expected`. */
function steady(samples: Sample[], expected: number): { rate: number; waitCores: number } {
  const w = steadyWindow(samples, expected);
  if (w === undefined) return { rate: Number.NaN, waitCores: Number.NaN };
  const { a, b } = w;
  const wait = a.proc && b.proc ? b.proc.waitSeconds - a.proc.waitSeconds : Number.NaN;
  return { rate: rateBetween(w), waitCores: wait / (b.t - a.t) };
}

function summarizeRun(side: Side, run: number, samples: Sample[], expected: number, complete: boolean, error?: string): SideRun {
  const final = samples[samples.length - 1];
  const indexed = final?.count ?? 0;
  const first = samples.find((s) => s.count > 0);
  // The end of the work: the first sample that saw the final count.
  const end = samples.find((s) => s.count >= indexed) ?? final;
  const lastProc = [...samples].reverse().find((s) => s.proc !== undefined)?.proc;
  const endProc = end?.proc ?? lastProc;
  const wall = end?.t ?? Number.NaN;
  const st = steady(samples, expected);
  const consuming = samples.find((s) => (s.consumed ?? 0) > 0);
  const drain = consuming === undefined ? Number.NaN : wall - consuming.t;
  const workCpu = consuming?.proc && endProc ? endProc.cpuSeconds - consuming.proc.cpuSeconds : Number.NaN;
  const e0 = consuming?.engineCpu;
  const e1 = end?.engineCpu;
  const engineCpu = e0 !== undefined && e1 !== undefined ? e1 - e0 : Number.NaN;
  const out: SideRun = {
    side,
    run,
    expectedDocs: expected,
    indexedDocs: indexed,
    lostDocs: Math.max(0, expected - indexed),
    complete,
    drainSeconds: drain,
    drainDocsPerSec: indexed / drain,
    consumeStartSeconds: consuming?.t ?? Number.NaN,
    startupSeconds: first?.t ?? Number.NaN,
    wallSeconds: wall,
    wallDocsPerSec: indexed / wall,
    steadyDocsPerSec: st.rate,
    peakRssBytes: lastProc?.hwmBytes ?? Number.NaN,
    cpuMicrosPerDoc: endProc ? (endProc.cpuSeconds * 1e6) / Math.max(1, indexed) : Number.NaN,
    workCpuMicrosPerDoc: (workCpu * 1e6) / Math.max(1, indexed),
    engineCpuMicrosPerDoc: (engineCpu * 1e6) / Math.max(1, indexed),
    selfReportedDropped: Math.max(0, ...samples.map((s) => s.dropped ?? 0)),
    steadyRunQueueCores: st.waitCores,
    activeDocsPerSec: activeRate(samples),
  };
  if (error !== undefined) out.error = error;
  return out;
}

/**
 * Live spans for the latency measurement: produced at a fixed rate in 50 ms ticks; every span of a
 * tick carries the tick's produce time (ms) in tag `benchsentms`, so `_q` holds the term
 * `benchsentms=<ms>` and a terms aggregation counts, per tick, how many of its documents are
 * searchable. Polling that count (after a forced refresh) every `pollMs` turns each increase into
 * that many latency samples (poll time − produce time): a per-document distribution of
 * produce → searchable, with the poll interval as resolution. (An ingest pipeline stamping
 * `_ingest.timestamp` would be finer, but the local OpenSearch node has no ingest role.)
 */
export const SENT_TAG = 'benchsentms';

export interface LatencyPlan {
  topic: string;
  /** Its TraceGen must tag spans with `{ [SENT_TAG]: String(clock.ms) }`. */
  gen: MessageGen;
  clock: { ms: number };
  ratePerSec: number;
  seconds: number;
  pollMs: number;
}

async function sentCounts(pattern: string): Promise<Map<string, number>> {
  await fetch(`${OPENSEARCH}/${pattern}/_refresh?allow_no_indices=true&ignore_unavailable=true`, { method: 'POST' });
  const res = await fetch(`${OPENSEARCH}/${pattern}/_search?allow_no_indices=true&ignore_unavailable=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      size: 0,
      query: { term: { _q: SENT_TAG } },
      aggs: { sent: { terms: { field: '_q', include: `${SENT_TAG}=.*`, size: 10_000 } } },
    }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json()) as { aggregations?: { sent?: { buckets?: { key: string; doc_count: number }[] } } };
  const out = new Map<string, number>();
  for (const b of body.aggregations?.sent?.buckets ?? []) out.set(b.key.slice(SENT_TAG.length + 1), b.doc_count);
  return out;
}

async function measureLatency(
  pattern: string,
  plan: LatencyPlan,
  opts: RunOptions,
  abort: () => string | undefined,
  label: string,
): Promise<LatencyResult> {
  opts.progress(`  ${label}: latency: producing ${plan.ratePerSec} spans/s for ${plan.seconds} s`);
  const producer = await KafkaProducer.connect(KAFKA);
  const expected = new Map<string, number>();
  const seen = new Map<string, number>();
  const samples: number[] = [];
  let sent = 0;
  let producing = true;
  const poll = async (): Promise<void> => {
    const counts = await sentCounts(pattern);
    const now = Date.now();
    for (const [ms, n] of counts) {
      const before = seen.get(ms) ?? 0;
      if (n > before) {
        for (let i = before; i < n; i++) samples.push(now - Number(ms));
        seen.set(ms, n);
      }
    }
  };
  const t0 = performance.now();
  const sends: Promise<number>[] = [];
  const produce = (async () => {
    try {
      while (performance.now() - t0 < plan.seconds * 1000) {
        const due = Math.floor(((performance.now() - t0) / 1000) * plan.ratePerSec);
        if (due > sent) {
          plan.clock.ms = Date.now();
          const docs0 = plan.gen.gen.expectedDocs;
          const m = plan.gen.messages(due - sent);
          for (const v of m.values)
            sends.push(producer.send({ topic: plan.topic, value: Buffer.from(v.buffer, v.byteOffset, v.byteLength) }));
          expected.set(String(plan.clock.ms), plan.gen.gen.expectedDocs - docs0);
          sent += m.spans;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      await Promise.all(sends);
    } finally {
      producing = false;
      await producer.close();
    }
  })();
  const total = (): number => [...expected.values()].reduce((a, b) => a + b, 0);
  let lastProgress = performance.now();
  let lastCount = 0;
  const stallMs = Math.max(opts.stallMs, 15_000);
  for (;;) {
    if (abort() !== undefined) break;
    // A failed poll (timeout under load) only delays samples: the next one counts the same docs.
    await poll().catch(() => undefined);
    if (samples.length !== lastCount) {
      lastCount = samples.length;
      lastProgress = performance.now();
    }
    if (!producing && samples.length >= total()) break;
    if (!producing && performance.now() - lastProgress > stallMs) break;
    await new Promise((r) => setTimeout(r, plan.pollMs));
  }
  await produce;
  samples.sort((a, b) => a - b);
  const pick = (p: number): number => (samples.length === 0 ? Number.NaN : percentileSorted(samples, p));
  return {
    spans: sent,
    ratePerSec: plan.ratePerSec,
    seconds: (performance.now() - t0) / 1000,
    p50Ms: pick(50),
    p99Ms: pick(99),
    maxMs: pick(100),
    missing: Math.max(0, total() - samples.length),
    resolutionMs: plan.pollMs,
  };
}

/** How to start the CLI: the compiled one when this harness is compiled, else from source via tsx. */
export function cliCommand(): { args: string[]; label: string } {
  const root = repoRoot();
  const compiled = !import.meta.url.endsWith('.ts');
  if (compiled && existsSync(join(root, 'dist', 'src', 'cli', 'main.js'))) {
    return { args: [join(root, 'bin', 'tracefold.js')], label: 'compiled (dist/)' };
  }
  return { args: ['--import', 'tsx', join(root, 'src', 'cli', 'run.ts')], label: 'source via tsx' };
}

/** The environment without settings a developer's shell may carry that would reconfigure the child. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k !== 'TRACEFOLD_SAMPLES' && /^(KAFKA_|ES_|TRACEFOLD_|SEARCH_ENABLED|AUTOCOMPLETE_|STRICT_TRACE_ID|LOG_LEVEL)/.test(k)) continue;
    env[k] = v;
  }
  return env;
}

export interface Child {
  proc: ChildProcess;
  exited: Promise<number | null>;
  exitCode: number | null | undefined;
  logFile: string;
}

/** Live child processes and Zipkin instances of this bench, for `abandonAll` on an interrupt. */
const liveChildren = new Set<ChildProcess>();
const liveZipkins = new Set<string>();
const liveIndices = new Set<string>();

export function track(proc: ChildProcess): void {
  liveChildren.add(proc);
  proc.on('exit', () => liveChildren.delete(proc));
}

/** On SIGINT/SIGTERM of the bench: kill its children, stop its Zipkin instances, delete their indices. */
export async function abandonAll(): Promise<void> {
  for (const p of liveChildren) p.kill('SIGKILL');
  if (liveZipkins.size > 0) await stopServers([...liveZipkins]).catch(() => undefined);
  for (const index of liveIndices) await deleteIndexPrefix(index).catch(() => undefined);
}

/** Deletes a run's indices once its process is stopped (and remembers them until then for `abandonAll`). */
async function dropIndices(index: string): Promise<void> {
  await deleteIndexPrefix(index).catch(() => undefined);
  liveIndices.delete(index);
}

export function spawnTracefold(args: string[], logDir: string, logName: string): Child {
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${logName}.log`);
  const log = createWriteStream(logFile, { flags: 'w' });
  const proc = spawn(process.execPath, [...cliCommand().args, ...args], {
    cwd: repoRoot(),
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout?.pipe(log);
  proc.stderr?.pipe(log);
  track(proc);
  const child: Child = { proc, exited: Promise.resolve(null), exitCode: undefined, logFile };
  child.exited = new Promise((resolve) =>
    proc.on('exit', (code, signal) => {
      child.exitCode = code ?? (signal ? -1 : null);
      resolve(child.exitCode);
    }),
  );
  return child;
}

/** SIGTERM (tracefold drains and commits), SIGKILL if it does not exit in time. */
export async function stopChild(child: Child, timeoutMs = 45_000): Promise<number | null> {
  if (child.exitCode !== undefined) return child.exitCode;
  child.proc.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => {
    timer = setTimeout(() => r('timeout'), timeoutMs);
  });
  const outcome = await Promise.race([child.exited, timeout]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    child.proc.kill('SIGKILL');
    return child.exited;
  }
  return outcome;
}

/** A running ingest side: how to watch it, and how to stop it. */
interface SideProcess {
  label: string;
  pid(): number | undefined;
  metrics: MetricsProbe;
  /** Why the run cannot go on (the process died, failed to start), or undefined. */
  abort(): string | undefined;
  stop(): Promise<void>;
}

/**
 * What `ingest` and `replay` both get: the same brokers, topic, dead-letter topic, search engine,
 * index cost and workers, so the two sides differ only in the command.
 */
export function sharedArgs(topic: string, workers: number): string[] {
  return [
    '--kafka-bootstrap-servers',
    KAFKA,
    '--kafka-topic',
    topic,
    '--kafka-dead-letter-topic',
    `${topic}.dead-letter`,
    '--es-hosts',
    OPENSEARCH,
    // What the Zipkin side gets from infra/ (ES_INDEX_SHARDS=1, ES_INDEX_REPLICAS=0): same index cost.
    '--es-index-shards',
    '1',
    '--es-index-replicas',
    '0',
    '--workers',
    String(workers),
  ];
}

export function tracefoldArgs(topic: string, index: string, group: string, adminPort: number, workers: number): string[] {
  return ['ingest', ...sharedArgs(topic, workers), '--kafka-group-id', group, '--es-index', index, '--admin-port', String(adminPort)];
}

/** The whole topic as it is at start, into a fresh prefix; `--json` for the summary the run is checked against. */
export function replayArgs(topic: string, prefix: string, workers: number): string[] {
  return [
    'replay',
    ...sharedArgs(topic, workers),
    '--from',
    'earliest',
    '--to',
    'latest',
    '--es-index-prefix',
    prefix,
    // A fresh group, named after the run for its log; replay does not commit by default.
    '--replay-group',
    prefix,
    '--json',
  ];
}

async function startTracefoldSide(topic: string, index: string, label: string, opts: RunOptions): Promise<SideProcess> {
  const adminPort = await freePort();
  const child = spawnTracefold(
    [...tracefoldArgs(topic, index, index, adminPort, opts.workers), ...(opts.extraArgs ?? [])],
    opts.logDir,
    index,
  );
  return {
    label,
    pid: () => (child.exitCode === undefined ? child.proc.pid : undefined),
    metrics: async () => {
      const sums = await scrapeSums(`http://127.0.0.1:${adminPort}/metrics`, ['tracefold_consumed_messages_total']);
      return sums && { consumed: sums[0] as number, dropped: 0 };
    },
    abort: () => (child.exitCode !== undefined ? `tracefold exited with ${child.exitCode} (log: ${child.logFile})` : undefined),
    stop: async () => {
      const code = await stopChild(child);
      if (code !== 0) opts.progress(`  ${label}: tracefold exited with ${code} (log: ${child.logFile})`);
    },
  };
}

/** The last line of a server log that says why it died, if any. */
function deathReason(file: string): string {
  try {
    const lines = readFileSync(file, 'utf8').split('\n');
    const why = lines.reverse().find((l) => /OutOfMemoryError|Terminating|FATAL|Exception in thread/.test(l));
    return why ? why.trim().slice(0, 200) : 'no reason in its log';
  } catch {
    return 'no log';
  }
}

/**
 * What the Zipkin peer runs with, for the results: the environment infra/ gives it (index cost,
 * KAFKA_STREAMS), its JVM flags, and the defaults of its ES client and collector that the bench
 * leaves alone (from zipkin-server-shared.yml of the jar infra/ runs).
 */
export function zipkinSettings(
  heap: string,
  streams: number,
): {
  heap: string;
  jvmArgs: string[];
  env: Record<string, string>;
  defaultsLeftAlone: Record<string, string>;
} {
  const env = zipkinEnv({
    esIndex: '<fresh per run>',
    kafkaTopic: '<backlog topic>',
    kafkaGroupId: '<fresh per run>',
    env: zipkinExtraEnv(streams),
  });
  return {
    heap,
    jvmArgs: zipkinJvmArgs(heap),
    env,
    defaultsLeftAlone: {
      ES_TIMEOUT: '10000 (ms)',
      ES_PIPELINE: '(none)',
      ES_ENSURE_TEMPLATES: 'true',
      ES_DATE_SEPARATOR: '-',
      ES_HEALTH_CHECK_ENABLED: 'true',
      STORAGE_THROTTLE_ENABLED: 'false (the throttle that would bound concurrent storage writes is off; 3.6.1 has no ES_MAX_REQUESTS)',
      SEARCH_ENABLED: 'true',
      STRICT_TRACE_ID: 'true',
      writes: 'one bulk request per Kafka record (its spans), as the collector hands each message to storage',
    },
  };
}

/** Consumer threads as Zipkin's Kafka collector docs advise: one per partition (more would sit idle). */
function zipkinExtraEnv(streams: number): Record<string, string> {
  return { KAFKA_STREAMS: String(streams) };
}

/** Starts Zipkin in the background (its JVM start-up is part of what is timed) and returns at once. */
async function startZipkinSide(topic: string, index: string, label: string, heap: string, streams: number): Promise<SideProcess> {
  const name = index.replace('bench-zk-', 'bench-zipkin-');
  const port = await freePort([9420, 9499]);
  let failed: string | undefined;
  liveZipkins.add(name);
  const handle = startZipkin(
    { name, port, esIndex: index, kafkaTopic: topic, kafkaGroupId: index, heap, env: zipkinExtraEnv(streams) },
    { dependencies: false },
  ).catch((err: Error) => {
    failed = `Zipkin did not start: ${err.message}`;
    return undefined;
  });
  let pid: number | undefined;
  let seenAlive = false;
  return {
    label,
    pid: () => {
      pid ??= ownedPid(name);
      return pid;
    },
    metrics: async () => {
      const names = ['zipkin_collector_messages_total', 'zipkin_collector_spans_dropped_total'];
      const sums = await scrapeSums(`http://127.0.0.1:${port}/prometheus`, names, 'transport="kafka"');
      return sums && { consumed: sums[0] as number, dropped: sums[1] as number };
    },
    abort: () => {
      if (failed !== undefined) return failed;
      if (pid === undefined) return undefined;
      if (procSample(pid) !== undefined) {
        seenAlive = true;
        return undefined;
      }
      return seenAlive ? `Zipkin process exited: ${deathReason(logFile(name))}` : undefined;
    },
    stop: async () => {
      const h = await handle;
      await h?.stop().catch(() => undefined);
      liveZipkins.delete(name);
    },
  };
}

function startSide(side: Side, topic: string, index: string, label: string, opts: RunOptions): Promise<SideProcess> {
  return side === 'tracefold'
    ? startTracefoldSide(topic, index, label, opts)
    : startZipkinSide(topic, index, label, opts.zipkinHeap, opts.zipkinStreams);
}

function indexFor(side: Side | 'replay', tag: string): string {
  const short = side === 'tracefold' ? 'tf' : side === 'zipkin' ? 'zk' : 'rp';
  const index = `bench-${short}-${Date.now().toString(36)}${tag}`;
  liveIndices.add(index);
  return index;
}

/** One run of `side` over the pre-loaded `target`: timed from process start to the last document searchable. */
export async function throughputRun(side: Side, run: number, target: IngestTarget, opts: RunOptions): Promise<SideRun> {
  const index = indexFor(side, String(run));
  const label = `${side} run ${run}`;
  const rejected0 = await writeRejections().catch(() => Number.NaN);
  const t0 = performance.now();
  const proc = await startSide(side, target.topic, index, label, opts);
  try {
    const pattern = `${index}-span-*`;
    const obs = await observe(pattern, target.expectedDocs, target.messages, t0, proc, opts, label);
    // A process that died is only noticed on the next poll: say so even if the stall was seen first.
    const reason = proc.abort() ?? obs.reason;
    const result = summarizeRun(side, run, obs.samples, target.expectedDocs, obs.complete, reason);
    if (side === 'zipkin') result.heap = opts.zipkinHeap;
    const p = proc.pid();
    const hwm = p === undefined ? undefined : procSample(p)?.hwmBytes;
    if (hwm !== undefined) result.peakRssBytes = hwm;
    await verifyRun(result, pattern, target.ids, reason);
    const rejected = (await writeRejections().catch(() => Number.NaN)) - rejected0;
    if (Number.isFinite(rejected)) result.engineRejections = rejected;
    return result;
  } finally {
    await proc.stop();
    await dropIndices(index);
  }
}

/**
 * The verdict ID by ID (after a refresh): a count that reached the number of expected documents is
 * not enough, and a run that ended early gets "did not complete: N of M stored, reason".
 */
async function verifyRun(result: SideRun, pattern: string, ids: readonly string[], reason: string | undefined): Promise<void> {
  try {
    const { found, count } = await storedIds(pattern, ids);
    const c = completionVerdict(ids, found, count);
    result.completion = c;
    result.indexedDocs = count;
    result.lostDocs = c.missing;
    result.complete = result.complete && c.complete;
    const why = c.complete ? undefined : (reason ?? `count reached ${count} but ${c.missing} expected IDs are missing`);
    const text = incompleteText(c, why);
    if (text !== undefined) result.error = text;
    else if (!result.complete) result.error = `did not complete: ${c.found} of ${c.expected} stored, ${reason ?? 'ended early'}`;
  } catch (err) {
    result.complete = false;
    result.error = `did not complete: the ID check failed (${(err as Error).message})${reason ? `; ${reason}` : ''}`;
  }
}

/**
 * One `tracefold replay` of the whole pre-loaded `target` into a fresh prefix, timed from process
 * start to exit. `_count` is polled as for ingest (same interval) while it runs, for the steady and
 * while-progressing rates; after exit the refreshed count must equal the expected documents.
 */
export async function replayRun(run: number, target: IngestTarget, opts: RunOptions): Promise<ReplayRun> {
  const prefix = indexFor('replay', String(run));
  const label = `replay run ${run}`;
  const pattern = `${prefix}-span-*`;
  const t0 = performance.now();
  const child = spawnTracefold(replayArgs(target.topic, prefix, opts.workers), opts.logDir, prefix);
  let exitAt = Number.NaN;
  child.proc.once('exit', () => {
    exitAt = performance.now();
  });
  // 'close' comes after stdout is drained: only then is the summary line complete.
  const closed = new Promise<void>((r) => child.proc.once('close', () => r()));
  let stdout = '';
  child.proc.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  const points: ReplayPoint[] = [];
  let cutShort: string | undefined;
  try {
    let last = -1;
    let lastChange = t0;
    let lastReport = t0;
    while (child.exitCode === undefined) {
      const pid = child.proc.pid;
      const proc = pid === undefined ? undefined : procSample(pid);
      const count = await countDocs(pattern).catch(() => Math.max(0, last));
      const t = performance.now();
      points.push({ t: (t - t0) / 1000, count, hwmBytes: proc?.hwmBytes });
      if (count !== last) {
        last = count;
        lastChange = t;
      }
      if (t - lastReport > 5000) {
        lastReport = t;
        opts.progress(`  ${label}: ${count}/${target.expectedDocs} documents after ${((t - t0) / 1000).toFixed(0)} s`);
      }
      if (count <= 0 && t - t0 > startupTimeoutMs) {
        cutShort = `no document after ${startupTimeoutMs / 1000} s`;
        break;
      }
      // Replay exits on its own a few seconds after its last write; still running with no new
      // document for this long means it is stuck, not slow.
      if (count > 0 && t - lastChange > opts.stallMs) {
        cutShort = `no progress and no exit for ${opts.stallMs / 1000} s`;
        break;
      }
      await Promise.race([child.exited, new Promise((r) => setTimeout(r, 250))]);
    }
    if (cutShort !== undefined) {
      opts.progress(`  ${label}: ${cutShort}: stopping it (log: ${child.logFile})`);
      await stopChild(child);
    }
    await child.exited;
    await closed;
    // Replay's writes are acknowledged, not necessarily refreshed yet: count what is there.
    const final = await countDocs(pattern, true).catch(() => Math.max(0, last));
    points.push({ t: (performance.now() - t0) / 1000, count: final });
    return summarizeReplayRun(run, points, target.expectedDocs, {
      exitSeconds: (exitAt - t0) / 1000,
      exitCode: child.exitCode ?? null,
      report: parseReplayReport(stdout),
      error: cutShort,
    });
  } finally {
    if (child.exitCode === undefined) await stopChild(child);
    await dropIndices(prefix);
  }
}

/**
 * Latency under a steady live load, in a fresh process of `side` that consumes only the (empty)
 * latency topic: a warm-up trace first (so start-up and group join are over), then `measureLatency`.
 */
export async function latencyRun(side: Side, plan: LatencyPlan, warmup: MessageGen, opts: RunOptions): Promise<LatencyResult> {
  const index = indexFor(side, 'lat');
  const label = `${side} latency`;
  const t0 = performance.now();
  const proc = await startSide(side, plan.topic, index, label, opts);
  try {
    const producer = await KafkaProducer.connect(KAFKA);
    const docs0 = warmup.gen.expectedDocs;
    const m = warmup.messages(1_000);
    try {
      await Promise.all(
        m.values.map((v) => producer.send({ topic: plan.topic, value: Buffer.from(v.buffer, v.byteOffset, v.byteLength) })),
      );
    } finally {
      await producer.close();
    }
    const warmDocs = warmup.gen.expectedDocs - docs0;
    const obs = await observe(`${index}-span-*`, warmDocs, m.values.length, t0, proc, opts, `${label} warm-up`);
    if (!obs.complete) throw new Error(`${label}: warm-up documents not searchable (${obs.reason ?? 'incomplete'})`);
    return await measureLatency(`${index}-span-*`, plan, opts, () => proc.abort(), label);
  } finally {
    await proc.stop();
    await dropIndices(index);
  }
}
