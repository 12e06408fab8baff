/**
 * Results: one JSON document (everything measured), a markdown report (the tables), PNG charts,
 * and the README "Benchmarks" section built from the same data.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Encoding } from '../core/model/span.js';
import type { CeilingSummary } from './ceiling.js';
import { barChart, COLORS } from './chart.js';
import type { RatioSet } from './completion.js';
import type { LatencyResult, SideRun, zipkinSettings } from './e2e.js';
import type { MachineInfo } from './machine.js';
import type { BurstResult, ProbeSummary } from './memory.js';
import type { MicroResult } from './micro.js';
import type { PipelineRun } from './pipeline.js';
import type { ReplayRatios, ReplaySideSummary } from './replay.js';
import type { SamplingOutcome } from './sampling-check.js';
import type { Preloaded } from './servers.js';
import type { ShipResult } from './ship.js';
import { type StagesResult, stagesSection } from './stages.js';
import { bytes, formatSummary, type Summary, si, summarize } from './stats.js';

export type Phase = 'micro' | 'pipeline' | 'stages' | 'e2e' | 'zipkin' | 'replay' | 'ceiling' | 'sampling' | 'memory' | 'ship';

export interface PipelineByWorkers {
  workers: number;
  spansPerSec: Summary;
  perWorker: Summary;
  cpuMicrosPerSpan: Summary;
  /** 1e6 / CPU µs per span: throughput if the process had the CPU it used to itself, per core. */
  spansPerCpuSecond: Summary;
  coresBusy: Summary;
  runQueueCores: Summary;
  /** Median CPU µs per span by thread group (see PipelineRun.cpuByThread). */
  cpuByThread: { coordinator: number; workers: number; helpers: number };
  /** Medians: worker threads' GC pauses, µs per span and as a share of the worker threads' CPU. */
  gc?: { pauseMicrosPerSpan: number; shareOfWorkers: number };
  forwardedFraction: number;
  /** Paired by round against 1 worker. */
  speedup?: Summary;
  efficiency?: number;
}

export interface PipelineResult {
  spans: number;
  warmupSpans: number;
  bytesPerSpan: number;
  encoding: Encoding;
  spansPerMessage: number;
  quietMs: number;
  runs: PipelineRun[];
  byWorkers: PipelineByWorkers[];
  /** One worker on the sampling workload: keep-all against the example sampling config, paired per round. */
  sampling?: PipelineSampling;
  /** The same runs with dependency links off (`--no-dependencies-enabled`), alternating with the default per round. */
  linksOff?: PipelineLinksOff[];
}

export interface PipelineLinksOff {
  workers: number;
  spansPerSec: Summary;
  cpuMicrosPerSpan: Summary;
  /** Default / links-off throughput, paired per round. */
  throughputRatio: Summary;
}

export interface PipelineSampling {
  traces: number;
  spans: number;
  keepAllCpuMicrosPerSpan: Summary;
  exampleCpuMicrosPerSpan: Summary;
  /** Example / keep-all CPU per input span, paired per round. */
  cpuRatio: Summary;
}

export interface SideSummary {
  runs: SideRun[];
  /** Completed runs only (every expected ID found), from here to activeDocsPerSec. */
  drainDocsPerSec: Summary;
  wallDocsPerSec: Summary;
  steadyDocsPerSec: Summary;
  consumeStartSeconds: Summary;
  startupSeconds: Summary;
  peakRssBytes: Summary;
  cpuMicrosPerDoc: Summary;
  workCpuMicrosPerDoc: Summary;
  steadyRunQueueCores: Summary;
  activeDocsPerSec: Summary;
  lostDocsMax: number;
  /** Documents in the index that were not expected (worst run). */
  extraDocsMax: number;
  completedRuns: number;
  selfReportedDroppedMax: number;
  /** Why runs ended early (process died, stalled), one line per run. */
  errors: string[];
  allComplete: boolean;
}

/** The Zipkin server at one heap over a backlog. */
export interface PeerResult {
  heap: string;
  summary: SideSummary;
  ratio: RatioSet;
}

/** Every side over one pre-loaded topic. */
export interface BacklogResult {
  preloaded: Preloaded;
  spansPerMessage: number;
  tracefold?: SideSummary;
  /** One per Zipkin heap. */
  zipkin?: PeerResult[];
  /** Before each turn: the wait for the engine's write pool to be idle (shared engine: bounded). */
  settles?: { round: number; turn: string; seconds: number; quiet: boolean }[];
  /** Pre-built documents straight to `_bulk`, in the same rounds. */
  ceiling?: CeilingSummary;
  /** `tracefold replay` of the same topic in the same rounds (#5). */
  replay?: ReplaySideSummary;
  /** replay / tracefold ingest, paired by round. */
  replayRatio?: ReplayRatios;
}

/** Every setting of every side, as run. */
export interface E2eSettings {
  tracefold: { command: string; args: string[]; notes: string };
  zipkin: ReturnType<typeof zipkinSettings>[];
  ceiling: { connections: number; docsPerRequest: number; maxDocs: number; explicitIds: true; template: string };
  run: { stallMs: number; pollMs: number; startupTimeoutMs: number; rounds: number; order: string };
  latencyZipkinHeap: string;
}

export interface E2eResult {
  topic: { partitions: number; encoding: Encoding; shapes: number[] };
  workers: number;
  zipkinHeaps: string[];
  settings: E2eSettings;
  /** The untimed `_bulk` runs that warmed the engine before the first round (absent in older results). */
  engineWarmup?: { docs: number; runs: number; seconds: number; docsPerSec: number[]; error?: string | undefined };
  cli: string;
  /** What ran over the pre-loaded topics (absent in results from before replay was measured). */
  sides?: readonly string[];
  /** Largest first. */
  backlogs: BacklogResult[];
  /** `tracefold_policy`: tracefold with a trace-level sampling policy (documents wait for the window). */
  latency: Partial<Record<'tracefold' | 'zipkin' | 'tracefold_policy', LatencyResult | { error: string }>>;
  /** The quiet window of the tracefold latency runs (ms). */
  latencyQuietMs?: number;
  sampling: string;
}

/** The sampling workload through `tracefold replay` with config/recommended.yaml, judged through the Zipkin API. */
export interface SamplingPhaseResult {
  outcome: SamplingOutcome;
  replaySeconds: number;
  config: string;
}

export interface Goal {
  goal: string;
  measured: string;
  met: boolean | null;
}

export interface BenchResults {
  version: 1;
  mode: 'quick' | 'full';
  startedAt: string;
  durationSeconds: number;
  command: string;
  machine: MachineInfo;
  micro?: MicroResult;
  pipeline?: PipelineResult;
  stages?: StagesResult;
  e2e?: E2eResult;
  sampling?: SamplingPhaseResult;
  memory?: { probes?: ProbeSummary[]; burst?: BurstResult };
  ship?: ShipResult;
  goals: Goal[];
  errors: string[];
}

const mib = (n: number): string => bytes(n);
const us = (n: number): string => (!Number.isFinite(n) ? 'n/a' : n < 100 ? `${n.toPrecision(3)} µs` : `${Math.round(n)} µs`);
const pct = (n: number): string => `${(n * 100).toFixed(0)} %`;
const fmt = (s: Summary | undefined, f: (n: number) => string = si): string =>
  s === undefined || !Number.isFinite(s.median) ? 'n/a' : formatSummary(s, f);
const secs = (n: number): string => `${n.toFixed(1)} s`;
const ratio = (n: number): string => (Number.isFinite(n) ? `${n.toFixed(2)}×` : 'n/a');
const yesNo = (met: boolean | null): string => (met === null ? '—' : met ? '**yes**' : '**no**');

function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

export function goalsTable(goals: Goal[]): string {
  return table(
    ['goal', 'measured', 'met'],
    goals.map((g) => [g.goal, g.measured, yesNo(g.met)]),
  );
}

function machineLine(r: BenchResults): string {
  const m = r.machine;
  return (
    `${m.cpuModel}, ${m.cores} cores, ${bytes(m.memoryBytes)} RAM, Linux ${m.kernel} · Node ${m.node} · Java ${m.java} · ` +
    `Kafka ${m.kafka} · ${m.opensearch ?? 'OpenSearch (not used)'} · Zipkin ${m.zipkin} · git ${m.git} · ` +
    `load average (1 min) ${m.loadAtStart.toFixed(1)} at start, ${m.loadAtEnd?.toFixed(1) ?? '?'} at end`
  );
}

export function microSection(m: MicroResult): string {
  const rows = m.rows.map((r) => [r.name, fmt(r.perSec), r.bytesPerSec ? fmt(r.bytesPerSec, (n) => `${(n / 1e6).toFixed(0)} MB/s`) : '']);
  return [
    `Corpus: ${m.corpus.spans} spans in ${m.corpus.messages} messages of ${m.corpus.spansPerMessage}; bytes per span: ` +
      Object.entries(m.corpus.bytesPerSpan)
        .map(([e, b]) => `${e} ${b.toFixed(0)}`)
        .join(', ') +
      '. Rates are per CPU-second of the benchmark process (its CPU time is the clock, so other load on the shared machine does not count).',
    '',
    table(['stage', 'spans/s', 'bytes/s'], rows),
    '',
    table(
      ['ratio (paired per round)', 'goal', 'measured', 'met'],
      m.ratios.map((x) => [x.name, x.goal, fmt(x.ratio, ratio), yesNo(x.met ?? null)]),
    ),
  ].join('\n');
}

/**
 * What the CPU allows: with `cores` cores and the CPU a span costs at n workers (all threads),
 * no run of n workers can beat min(n, cores) / cost. Set against the 1-worker rate, this says
 * whether a scaling goal is reachable on this machine at all.
 */
function ceilingNote(p: PipelineResult, cores: number): string {
  const one = p.byWorkers.find((w) => w.workers === 1);
  const top = p.byWorkers[p.byWorkers.length - 1];
  if (!one || !top || top.workers === 1) return '';
  const ceiling = (Math.min(top.workers, cores) * 1e6) / top.cpuMicrosPerSpan.median;
  return (
    `CPU ceiling on this machine: ${top.workers} workers cost ${top.cpuMicrosPerSpan.median.toFixed(1)} µs of CPU per span (1 worker: ` +
    `${one.cpuMicrosPerSpan.median.toFixed(1)} µs; the extra is forwarding ${pct(top.forwardedFraction)} of spans to their owner and GC), so ` +
    `${Math.min(top.workers, cores)} cores can do at most ${si(ceiling)} spans/s: ${ratio(ceiling / one.spansPerSec.median)} the measured ` +
    `1-worker rate, which already keeps ${one.coresBusy.median.toFixed(2)} cores busy (V8 GC and compiler threads run beside the worker).`
  );
}

export function pipelineSection(p: PipelineResult, cores = 0): string {
  const rows = p.byWorkers.map((w) => [
    String(w.workers),
    fmt(w.spansPerSec),
    fmt(w.perWorker),
    w.speedup ? fmt(w.speedup, ratio) : '1.00×',
    w.efficiency !== undefined ? pct(w.efficiency) : '100 %',
    fmt(w.cpuMicrosPerSpan, us),
    `${w.cpuByThread.coordinator.toFixed(1)} / ${w.cpuByThread.workers.toFixed(1)} / ${w.cpuByThread.helpers.toFixed(1)}`,
    fmt(w.spansPerCpuSecond),
    fmt(w.coresBusy, (n) => n.toFixed(2)),
    fmt(w.runQueueCores, (n) => n.toFixed(2)),
    w.gc ? `${w.gc.pauseMicrosPerSpan.toFixed(1)} µs (${pct(w.gc.shareOfWorkers)})` : 'not measured',
    pct(w.forwardedFraction),
  ]);
  return [
    `${p.spans} spans per timed run (${p.bytesPerSpan.toFixed(0)} B each as ${p.encoding}, ${p.spansPerMessage} per message, ` +
      `batches of ≤ 500 messages / 1 MiB), after a ${p.warmupSpans}-span warm-up on a fresh pool; null sink; window quiet ${p.quietMs} ms; ` +
      'timed from the first dispatch until the commit watermark has every unit resolved (ticks every 25 ms, final drain). ' +
      '"Cores busy" is process CPU time (coordinator, workers, GC) per wall second; "cores waited for" is the time its threads were ' +
      'runnable but had no CPU (/proc schedstat): on a shared machine, the part of the wall-clock figure lost to other work. ' +
      '"Spans per CPU-second" does not depend on that. "GC pauses" is the time the worker threads themselves stood still for garbage ' +
      "collection (V8's gc entries, reported by each worker; collector work on V8's helper threads is in the helpers' CPU instead).",
    '',
    table(
      [
        'workers',
        'spans/s (wall)',
        'per worker',
        'speedup vs 1',
        'scaling efficiency',
        'CPU per span (all threads)',
        'of which µs coordinator / workers / V8 helpers',
        'spans per CPU-second',
        'cores busy',
        'cores waited for (run queue)',
        'GC pauses on workers per span (share of worker CPU)',
        'spans forwarded',
      ],
      rows,
    ),
    ...(cores > 0 && ceilingNote(p, cores) !== '' ? ['', ceilingNote(p, cores)] : []),
    ...(p.sampling ? ['', samplingCpuNote(p.sampling)] : []),
    ...(p.linksOff && p.linksOff.length > 0 ? ['', linksOffNote(p.linksOff)] : []),
  ].join('\n');
}

function linksOffNote(rows: readonly PipelineLinksOff[]): string {
  const parts = rows.map(
    (r) =>
      `${r.workers} worker(s) ${fmt(r.spansPerSec)} spans/s, ${fmt(r.cpuMicrosPerSpan, us)} CPU/span (with links: ${fmt(r.throughputRatio, ratio)} of that)`,
  );
  return (
    'What dependency links cost: the same runs with `--no-dependencies-enabled` (keep-all, no trace-level rule: spans are written as ' +
    `they arrive and nothing is kept per trace or forwarded), alternating with the default in each round: ${parts.join('; ')}.`
  );
}

function samplingCpuNote(s: PipelineSampling): string {
  return (
    `Sampling cost: one worker on the sampling workload (${s.traces} traces, ${s.spans} spans: common shapes, 2 % errors, 1 % slow, rare shapes; ` +
    `bench/workload.ts), null sink: CPU per input span ${fmt(s.keepAllCpuMicrosPerSpan, us)} with keep-all (written through) and ` +
    `${fmt(s.exampleCpuMicrosPerSpan, us)} with the example sampling config (documents wait for the decision); ratio ${fmt(s.cpuRatio, ratio)}, paired per round.`
  );
}

function sideCells(s: SideSummary | undefined, pick: (s: SideSummary) => string): string {
  return s === undefined ? 'not run' : pick(s);
}

function latencyCell(e: E2eResult, side: 'tracefold' | 'zipkin' | 'tracefold_policy'): string {
  const l = e.latency[side];
  if (l === undefined) return 'not run';
  if ('error' in l) return `failed: ${l.error}`;
  if (!Number.isFinite(l.p50Ms)) return `n/a (${l.missing} of ${l.spans} spans never searchable)`;
  return `${(l.p50Ms / 1000).toFixed(2)} s / ${(l.p99Ms / 1000).toFixed(2)} s (${l.spans} spans at ${l.ratePerSec}/s${l.missing > 0 ? `, ${l.missing} missing` : ''})`;
}

/** "did not complete" lines of a side, or a short "0" when every run completed. */
function lossCell(s: SideSummary): string {
  if (s.allComplete) return s.extraDocsMax > 0 ? `0 (${s.extraDocsMax} extra documents, worst run)` : '0';
  return `${s.lostDocsMax} of ${s.runs[0]?.expectedDocs ?? '?'} (${s.runs.length - s.completedRuns} of ${s.runs.length} runs did not complete)`;
}

function backlogSection(e: E2eResult, b: BacklogResult): string {
  const tf = b.tracefold;
  const peers = b.zipkin ?? [];
  const cols = (pick: (s: SideSummary) => string, ratioOf?: (r: RatioSet) => Summary | undefined): string[] => [
    sideCells(tf, pick),
    ...peers.map((p) => pick(p.summary)),
    ...peers.map((p) => (ratioOf ? fmt(ratioOf(p.ratio), ratio) : '')),
  ];
  const rows: string[][] = [
    ['runs (completed)', ...cols((s) => `${s.runs.length} (${s.completedRuns})`)],
    [
      '**throughput, first record consumed → last doc searchable (start-up excluded), docs/s**',
      ...cols(
        (s) => fmt(s.drainDocsPerSec),
        (r) => r.drain,
      ),
    ],
    [
      'throughput while making progress (first → last new doc), docs/s',
      ...cols(
        (s) => fmt(s.activeDocsPerSec),
        (r) => r.active,
      ),
    ],
    [
      'throughput, steady (10 %→90 % of docs), docs/s',
      ...cols(
        (s) => fmt(s.steadyDocsPerSec),
        (r) => r.steady,
      ),
    ],
    [
      'throughput, process start → last doc searchable (start-up included), docs/s',
      ...cols(
        (s) => fmt(s.wallDocsPerSec),
        (r) => r.wall,
      ),
    ],
    ['process start → first record consumed (own metrics): start-up', ...cols((s) => fmt(s.consumeStartSeconds, secs))],
    ['process start → first doc searchable', ...cols((s) => fmt(s.startupSeconds, secs))],
    ['expected documents missing after a refreshed ID check (worst run)', ...cols(lossCell)],
    [
      'spans dropped by its own count (worst run)',
      sideCells(tf, () => 'n/a'),
      ...peers.map((p) => String(p.summary.selfReportedDroppedMax)),
      ...peers.map(() => ''),
    ],
    [
      'writes the engine rejected (429) during the run, whole node (worst run)',
      ...cols((s) => {
        const xs = s.runs.flatMap((r) => (r.engineRejections === undefined ? [] : [r.engineRejections]));
        return xs.length === 0 ? 'n/a' : String(Math.max(...xs));
      }),
    ],
    ['peak RSS (VmHWM, whole process)', ...cols((s) => fmt(s.peakRssBytes, mib))],
    ['CPU per doc, whole run incl. start-up', ...cols((s) => fmt(s.cpuMicrosPerDoc, us))],
    ['CPU per doc, first message consumed → last doc (start-up excluded)', ...cols((s) => fmt(s.workCpuMicrosPerDoc, us))],
    ['cores waited for (run queue), steady', ...cols((s) => fmt(s.steadyRunQueueCores, (n) => n.toFixed(2)))],
  ];
  const problems = [
    ...(tf?.errors ?? []).map((x) => `tracefold ${x}`),
    ...peers.flatMap((p) => p.summary.errors.map((x) => `Zipkin ${p.heap} ${x}`)),
  ];
  const p = b.preloaded;
  const head = ['', 'tracefold', ...peers.map((x) => `Zipkin ${x.heap}`), ...peers.map((x) => `tracefold / Zipkin ${x.heap}`)];
  return [
    `**${p.spans} spans pre-loaded, ${b.spansPerMessage} per message** (${(p.bytes / p.spans).toFixed(0)} B each as ${e.topic.encoding}, ` +
      `${p.messages} messages, ${e.topic.partitions} partitions; ${p.expectedDocs} distinct documents; pre-loaded in ${p.seconds.toFixed(1)} s):`,
    ...(tf || peers.length > 0 ? ['', table(head, rows)] : []),
    ...(problems.length > 0 ? ['', 'Runs that did not complete (no ratio is taken from them):', '', ...problems.map((x) => `- ${x}`)] : []),
    ...(b.ceiling ? ['', engineCeilingNote(b.ceiling)] : []),
    ...(b.replay ? ['', replayTable(b, b.replay)] : []),
  ].join('\n');
}

/** The engine's own rate on the same documents, and tracefold's rates as fractions of it. */
export function engineCeilingNote(c: CeilingSummary): string {
  const failed = c.runs.filter((r) => r.error !== undefined);
  const f = c.fractions;
  return (
    `Ceiling: the same span documents pre-built and sent straight to \`_bulk\` (${c.connections} connections, ${c.docsPerRequest} documents a ` +
    `request, explicit \`_id\`s, tracefold's span template), same engine, same rounds: ${fmt(c.docsPerSec)} docs/s ` +
    `(${c.runs[0]?.docs ?? '?'} documents a run${failed.length > 0 ? `; ${failed.length} run(s) failed: ${failed.map((r) => r.error).join('; ')}` : ''}). ` +
    `tracefold as a fraction of it, paired by round: first record consumed → last doc ${fmt(f.drain, pct)}, while making progress ${fmt(f.active, pct)}, ` +
    `process start → last doc ${fmt(f.wall, pct)}.` +
    cpuBoundNote(c)
  );
}

/**
 * Why the fraction cannot reach 1 where the engine shares the machine: the ceiling gives the engine
 * every core, while tracefold's run gives it what tracefold leaves.
 */
function cpuBoundNote(c: CeilingSummary): string {
  const cpu = c.cpu;
  if (cpu === undefined) return '';
  return (
    ` CPU per document on this machine's ${cpu.cores} cores: the engine alone (ceiling runs) ${fmt(cpu.engineAlone, us)}, the engine while ` +
    `tracefold writes ${fmt(cpu.engineWithTracefold, us)}, tracefold itself (first record → last doc) ${fmt(cpu.tracefold, us)}. Sharing the ` +
    `cores with nothing else, both together can index at most ${cpu.cores} / (engine + tracefold CPU per document) = ` +
    `${fmt(cpu.boundFraction, pct)} of the ceiling: the bound on tracefold's fraction while the engine runs on the same machine.`
  );
}

/** Median (range) of one figure over runs, skipping runs without it. */
function over<R>(runs: readonly R[], f: (r: R) => number): Summary | undefined {
  const xs = runs.map(f).filter((x) => Number.isFinite(x));
  return xs.length === 0 ? undefined : summarize(xs);
}

/** Ingest's wall clock ends at its last searchable document. */
const ingestLastDoc = (s: SideSummary): Summary | undefined => over(s.runs, (r) => r.wallSeconds);

/** Replay against tracefold ingest over the same topic, same rounds (#5). */
export function replayTable(b: BacklogResult, rp: ReplaySideSummary): string {
  const tf = b.tracefold;
  const vs = b.replayRatio;
  const ing = (pick: (s: SideSummary) => string): string => (tf === undefined ? 'not run' : pick(tf));
  const verified = rp.allComplete
    ? `${rp.runs[0]?.expectedDocs ?? '?'} = expected, every run; exit 0`
    : `${rp.lostDocsMax} of ${rp.runs[0]?.expectedDocs ?? '?'} missing (worst run); ${rp.runs.filter((r) => !r.complete).length} of ${rp.runs.length} runs failed`;
  const written = over(rp.runs, (r) => r.report?.written ?? Number.NaN);
  const rows: string[][] = [
    ['runs', String(rp.runs.length), ing((s) => String(s.runs.length)), ''],
    [
      'throughput, wall, docs/s (replay: process start → exit; ingest: process start → last doc searchable)',
      fmt(rp.wallDocsPerSec),
      ing((s) => fmt(s.wallDocsPerSec)),
      fmt(vs?.wall, ratio),
    ],
    [
      'throughput, steady (10 %→90 % of docs), docs/s',
      fmt(rp.steadyDocsPerSec),
      ing((s) => fmt(s.steadyDocsPerSec)),
      fmt(vs?.steady, ratio),
    ],
    [
      'throughput while making progress (first → last new doc), docs/s',
      fmt(rp.activeDocsPerSec),
      ing((s) => fmt(s.activeDocsPerSec)),
      fmt(vs?.active, ratio),
    ],
    ['process start → first doc searchable', fmt(rp.startupSeconds, secs), ing((s) => fmt(s.startupSeconds, secs)), ''],
    ['process start → last doc searchable', fmt(rp.lastDocSeconds, secs), ing((s) => fmt(ingestLastDoc(s), secs)), ''],
    ['process start → exit', fmt(rp.wallSeconds, secs), tf === undefined ? 'not run' : 'keeps running', ''],
    ['documents in the fresh index after exit (refreshed `_count`)', verified, ing((s) => `lost ${s.lostDocsMax} (worst run)`), ''],
    ['spans written (its own `--json` summary)', fmt(written, (n) => String(Math.round(n))), '', ''],
    ['peak RSS (VmHWM, whole process)', fmt(rp.peakRssBytes, mib), ing((s) => fmt(s.peakRssBytes, mib)), ''],
  ];
  return [
    table(['same topic, same rounds', 'tracefold replay', 'tracefold ingest', 'replay / ingest'], rows),
    ...(rp.errors.length > 0 ? ['', 'Replay runs that failed:', '', ...rp.errors.map((x) => `- replay ${x}`)] : []),
  ].join('\n');
}

/** What each replay figure includes, so the comparison with ingest reads honestly. */
export function replayNote(workers: number): string {
  return (
    `Replay (#5): \`tracefold replay --from earliest --to latest --es-index-prefix <fresh> --workers ${workers} --json\` over the same ` +
    'pre-loaded topic, in the same rounds (its turn alternates with the ingest sides), with the same brokers, search engine, index ' +
    'settings (1 shard, 0 replicas), workers and defaults (window quiet 5 s) as ingest. A run counts only if replay exits 0, its own ' +
    'summary says ok and the refreshed `_count` of the fresh prefix equals the distinct documents produced. What the figures ' +
    'include: replay assigns its partitions itself (no group join); once its ranges are read it flushes its trace windows at once ' +
    '(no span can still come) and exits when every write is acknowledged, so its wall runs from process start to exit (start-up, ' +
    'reading, writing, shutdown). Ingest never exits and cannot know the backlog has ended: its windows flush after 5 s without a ' +
    'new span, so its wall (process start → last document searchable, no shutdown) contains that wait, and on a backlog read in a ' +
    'few seconds most of its writing only starts then. The wall ratio is what a user waits for, that difference included; steady ' +
    '(10 %→90 %) and while making progress (first → last new document) are taken the same way for both from `_count` polls every ' +
    '250 ms, leave start-up and the window out, and compare the writing itself (coarse on a small backlog, written in seconds). ' +
    'Ratios are replay / ingest of the same round, then the median.'
  );
}

export function engineWarmupNote(w: E2eResult['engineWarmup']): string {
  if (w === undefined) return '';
  const rates = w.docsPerSec.map((r) => `${si(r)}/s`).join(', ');
  const how = w.error !== undefined ? `${rates}; then it failed: ${w.error}` : `${w.docs} documents a run: ${rates}`;
  return (
    ` Before the first round the engine was warmed up with untimed \`_bulk\` runs of the ceiling's documents until two in a row ` +
    `agreed within 15 % (${how}).`
  );
}

export function e2eSection(e: E2eResult): string {
  const zk = e.settings.zipkin[0];
  return [
    `tracefold: \`tracefold ingest --workers ${e.workers}\` (${e.cli}), defaults otherwise (keep-all, written through; window quiet 5 s). ` +
      `Zipkin ${e.zipkinHeaps.join(' and ')} heap: the stock server's Kafka collector with KAFKA_STREAMS=${zk?.env.KAFKA_STREAMS ?? '?'} (one consumer ` +
      'thread per partition, as its docs advise), its ES client at its defaults (ES_TIMEOUT 10 s, no throttle, one bulk request per ' +
      'Kafka record); every setting of both sides is in the results JSON (`e2e.settings`). Both: a fresh process, consumer group and ' +
      'index prefix per run, 1 shard, 0 replicas, the same OpenSearch (shared; its CPU is not counted on either side); sides take ' +
      'turns in each round, the order alternating, each turn only once the engine write pool is idle (≤ 30 s wait: a side that ' +
      'timed out leaves requests running in the engine). Throughput is measured from the first record the side consumed (its own metrics), ' +
      'so a JVM start-up is reported in its own row and not charged (seen by polling every 250 ms, so that moment can only be seen late: ' +
      "in the side's favour). `_count` is polled every 250 ms without a refresh while the side reads; once it has consumed every record, " +
      "each poll refreshes the index first (as the ceiling does after its last request), so a side's end is its last write, not the " +
      "engine's next periodic refresh (up to 1 s later). A run is complete when every expected document `_id` " +
      '(deterministic: `traceId-md5(document)`) is found by a refreshed ID lookup at the end; one that stalls (20 s without a new ' +
      'document or a record consumed) or dies "did not complete: N of M stored, reason" and gives no ratio. Ratios are tracefold / Zipkin of the same round over ' +
      'rounds where both completed, then the median.' +
      engineWarmupNote(e.engineWarmup),
    '',
    ...e.backlogs.flatMap((b) => [backlogSection(e, b), '']),
    ...(e.backlogs.some((b) => b.replay) ? [replayNote(e.workers), ''] : []),
    // Latency belongs to a live ingest: a replay-only run has none to show.
    ...(Object.keys(e.latency).length === 0
      ? []
      : [
          table(
            ['', 'tracefold', 'Zipkin'],
            [
              ['latency produce → searchable, p50 / p99', latencyCell(e, 'tracefold'), latencyCell(e, 'zipkin')],
              ['tracefold with a trace-level sampling policy (documents wait for the window)', latencyCell(e, 'tracefold_policy'), ''],
            ],
          ),
          '',
          'Latency: a separate fresh process per side on an empty topic, warmed up with one trace, then live spans at a fixed rate with ' +
            'their produce time in a tag; the index is refreshed and counted per produce tick every 250 ms, so the figures are produce → ' +
            'searchable with 250 ms resolution (an ingest pipeline stamping `_ingest.timestamp` would be finer, but the local OpenSearch node ' +
            'has no ingest role). With keep-all tracefold writes spans as they arrive; with a trace-level policy a trace is written once quiet ' +
            `for the window (${e.latencyQuietMs ?? 5000} ms) and decided.`,
        ]),
  ]
    .join('\n')
    .trimEnd();
}

export function memorySection(m: NonNullable<BenchResults['memory']>): string {
  const parts: string[] = [];
  if (m.probes) {
    parts.push(
      'Bytes per buffered span at steady state: one worker pipeline (`workers/pipeline.ts`, null sink, windows that never flush) filled in a fresh ' +
        '`--expose-gc` process; growth of V8 heap used and of RSS after full GCs. Per span = the growth from half full to full divided by the spans ' +
        'added in that half (what one more buffered span costs); the growth from empty, which also carries one-off costs (V8 young generation ' +
        'reaching 2 × 16 MiB, malloc arenas, compiled code), is given after it. With keep-all (the default) a buffered span is its facts ' +
        '(what dependency linking reads); with a sampling policy it is its ES document plus its facts, the bulk action line and `_id` made ' +
        'when the trace is flushed.',
      '',
      table(
        ['what is buffered', 'mix', 'spans (traces)', 'window budget B/span (document + row)', 'heap B/span', 'RSS B/span'],
        m.probes.map((p) => [
          p.mode === 'keep-all'
            ? 'the pipeline as shipped, keep-all (documents written through; span facts wait)'
            : p.mode === 'pipeline'
              ? 'the pipeline as shipped, whole trace (a sampling policy: documents wait with their facts)'
              : 'reference: bare TraceWindows of flat document strings',
          p.mix === 'shared' ? 'shared traces' : 'small traces only (≤ 100 spans)',
          `${p.spans} (${p.traces})`,
          p.entryChars.toFixed(0),
          `${fmt(p.heapBytesPerSpan, (n) => n.toFixed(0))}; from empty ${p.heapBytesPerSpanFromStart?.median.toFixed(0) ?? '–'}`,
          `${fmt(p.rssBytesPerSpan, (n) => n.toFixed(0))}; from empty ${p.rssBytesPerSpanFromStart?.median.toFixed(0) ?? '–'}`,
        ]),
      ),
    );
  }
  if (m.burst) {
    const b = m.burst;
    const l = b.limits;
    parts.push(
      '',
      `Burst with the search engine slowed (proxy: +${b.proxy.latencyMs} ms per request, ${bytes(b.proxy.bytesPerSec)}/s shared): limits ` +
        `consumer read-ahead ${mib(l.consumerQueueBytes)}, backpressure ${mib(l.maxOutstandingBytes)} outstanding, windows ${mib(l.windowBytesPerWorker)}/worker, bulk ${mib(l.bulkMaxBytes)} × ${l.bulkInFlightPerWorker} in flight/worker, ` +
        `${l.workers} workers: ${mib(l.totalBytes)} of data in all. The topic holds 2× and 10× the backpressure limit in raw records: both ` +
        'saturate the limits. Idle RSS: just before the first record was consumed.',
      '',
      table(
        [
          'burst',
          'spans in topic',
          'written in window',
          'idle RSS',
          'peak RSS (first half of the window)',
          'peak RSS',
          'peak − idle',
          'max outstanding (metric)',
          'max partitions paused',
        ],
        b.runs.map((r) => [
          `${r.multiplier}×`,
          String(r.spans),
          `${r.indexedDocs} in ${r.observedSeconds.toFixed(0)} s`,
          mib(r.idleRssBytes),
          mib(r.firstHalfPeakRssBytes),
          mib(r.peakRssBytes),
          `${mib(r.peakRssBytes - r.idleRssBytes)} (${ratio((r.peakRssBytes - r.idleRssBytes) / l.totalBytes)} the limits)`,
          mib(r.maxOutstandingBytes),
          String(r.maxPausedPartitions),
        ]),
      ),
      '',
      `Peak RSS at ${b.runs[1]?.multiplier ?? 10}× / at ${b.runs[0]?.multiplier ?? 2}×: ${ratio(b.peakRatio)}.`,
    );
    const withParts = b.runs.flatMap((r) =>
      (
        [
          ['highest RSS in the first half', r.firstHalfParts],
          ['highest RSS', r.peakParts],
        ] as const
      ).flatMap(([when, p]) => (p === undefined ? [] : [{ r, when, p }])),
    );
    if (withParts.length > 0) {
      parts.push(
        '',
        "Where the memory is (samples every 250 ms; the workers' heaps as they last reported, at most a second old): V8 heaps " +
          'as reserved (in use), external memory their objects hold (Buffers, batches), and the rest of RSS (native: librdkafka, code, stacks, freed but not returned).',
        '',
        table(
          ['burst', 'sample', 'RSS', 'worker heaps', 'worker external', 'coordinator heap', 'coordinator external', 'rest'],
          withParts.map(({ r, when, p }) => [
            `${r.multiplier}×`,
            when,
            mib(p.rssBytes),
            `${mib(p.workerHeapTotalBytes)} (${mib(p.workerHeapUsedBytes)})`,
            mib(p.workerExternalBytes),
            mib(p.mainHeapTotalBytes),
            mib(p.mainExternalBytes),
            mib(p.rssBytes - p.workerHeapTotalBytes - p.workerExternalBytes - p.mainHeapTotalBytes - p.mainExternalBytes),
          ]),
        ),
      );
    }
  }
  return parts.join('\n');
}

export function markdown(r: BenchResults, charts: { workers?: string; zipkin?: string }): string {
  const out: string[] = [
    `# tracefold benchmarks (${r.mode})`,
    '',
    `Run ${r.startedAt}, ${(r.durationSeconds / 60).toFixed(1)} min: \`${r.command}\``,
    '',
    `Machine: ${machineLine(r)}.`,
    '',
    'Figures are medians over the runs with the range (min–max) in brackets; ratios are taken run by run within one round, then the median. ' +
      'The machine is shared with other work: compare figures within this file, not across runs.',
    '',
    '## Goals',
    '',
    goalsTable(r.goals),
  ];
  if (r.errors.length > 0) out.push('', '## Errors', '', ...r.errors.map((e) => `- ${e}`));
  if (r.micro) out.push('', '## 1. Micro benchmarks', '', microSection(r.micro));
  if (r.pipeline) {
    out.push('', '## 2. Pipeline without I/O', '', pipelineSection(r.pipeline, r.machine.cores));
    if (charts.workers) out.push('', `![throughput vs workers](${charts.workers})`);
  }
  if (r.stages)
    out.push('', '## 2b. Two-stage topology without I/O (rekey → assemble) beside the single process', '', stagesSection(r.stages));
  if (r.e2e) {
    const withReplay = r.e2e.backlogs.some((b) => b.replay) ? ', and tracefold replay of the same topic' : '';
    out.push('', `## 3–4. Kafka → OpenSearch, tracefold and the Zipkin server side by side${withReplay}`, '', e2eSection(r.e2e));
    if (charts.zipkin) out.push('', `![tracefold vs Zipkin](${charts.zipkin})`);
  }
  if (r.sampling) out.push('', '## 5. Ingest-time sampling', '', samplingSection(r.sampling));
  if (r.memory) out.push('', '## 6. Memory', '', memorySection(r.memory));
  if (r.ship) out.push('', '## 7. Span shipper (files → Kafka)', '', shipSection(r.ship, r.machine.cores));
  return `${out.join('\n')}\n`;
}

export function shipSection(s: ShipResult, cores: number): string {
  return [
    `\`tracefold ship\` reading one prepared span log of ${s.lines} lines (one JSON v2 span per line, ${mib(s.bytes)}) into a ${s.partitions}-partition topic, ` +
      `${s.compression}, until Kafka acknowledged every line. CPU is the shipper process's, all threads (librdkafka's compression included), from the moment the file appears; ` +
      `lines per CPU-second is its throughput per core. ${cores} cores, shared with the broker.`,
    '',
    table(
      ['lines/s (wall)', 'lines per CPU-second (per core)', 'CPU per line'],
      [[fmt(s.linesPerSec), fmt(s.linesPerCpuSecond), fmt(s.cpuMicrosPerLine, us)]],
    ),
  ].join('\n');
}

export function samplingSection(s: SamplingPhaseResult): string {
  const o = s.outcome;
  const row = (name: string, c: { total: number; stored: number }): string[] => [
    name,
    String(c.total),
    String(c.stored),
    pct(c.total === 0 ? 0 : c.stored / c.total),
  ];
  return [
    `${o.traces} traces (${o.inputSpans} spans) from the shared real traces (bench/workload.ts), read by \`tracefold replay\` with ` +
      `\`${s.config}\` in ${s.replaySeconds.toFixed(1)} s and counted through the stock Zipkin server's API.`,
    '',
    table(
      ['traces', 'produced', 'stored', 'stored %'],
      [
        row('errors', o.byClass.error),
        row('slow outliers', o.byClass.slow),
        row('rare shapes', o.byClass.rare),
        row('common shapes', o.byClass.common),
      ],
    ),
    '',
    `Shapes stored at least once: ${o.shapes.stored} of ${o.shapes.total}. Stored spans: ${o.storedSpans} of ${o.inputSpans} ` +
      `(${(o.storedFraction * 100).toFixed(1)} %). Traces by the policy that kept them: ${Object.entries(o.byPolicy)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}.` +
      (o.untagged > 0 ? ` ${o.untagged} stored spans carried no tracefold.sampled tag.` : ''),
  ].join('\n');
}

export function workersChart(p: PipelineResult, r: BenchResults): Buffer {
  const one = p.byWorkers.find((w) => w.workers === 1);
  return barChart({
    title: 'Pipeline without I/O: spans/s vs workers',
    subtitle: `${p.spans} spans per run, median of ${one?.spansPerSec.n ?? '?'} runs, whiskers min–max, dashed: linear scaling from 1 worker`,
    yLabel: 'spans/s',
    groups: p.byWorkers.map((w) => {
      const bar = { value: w.spansPerSec.median, min: w.spansPerSec.min, max: w.spansPerSec.max, color: COLORS.tracefold };
      const cpu = { value: w.spansPerCpuSecond.median, min: w.spansPerCpuSecond.min, max: w.spansPerCpuSecond.max, color: COLORS.grey };
      return {
        label: `${w.workers} worker${w.workers === 1 ? '' : 's'}`,
        bars: [w.workers > 1 && one ? { ...bar, ideal: one.spansPerSec.median * w.workers } : bar, cpu],
      };
    }),
    legend: [
      { label: 'spans/s (wall clock)', color: COLORS.tracefold },
      { label: 'spans per CPU-second', color: COLORS.grey },
    ],
    notes: [`${r.machine.cpuModel}, ${r.machine.cores} cores; load average ${r.machine.loadAtStart.toFixed(1)} at start (shared machine)`],
  });
}

/** A run's end reason short enough for a chart note. */
function shortReason(error: string): string {
  if (error.includes('OutOfMemoryError')) return 'Zipkin died: OutOfMemoryError';
  const s = error.replace(/^run \d+: /, '').replace(/^did not complete: /, '');
  return s.length > 48 ? `${s.slice(0, 45)}...` : s;
}

export function zipkinChart(e: E2eResult, r: BenchResults): Buffer | undefined {
  const both = e.backlogs.filter((b) => b.tracefold && (b.zipkin?.length ?? 0) > 0);
  if (both.length === 0) return undefined;
  const peerColors = [COLORS.zipkin, COLORS.grey];
  const bar = (s: Summary, color: typeof COLORS.tracefold) => ({ value: s.median, min: s.min, max: s.max, color });
  const groups = both.map((b) => {
    const tf = b.tracefold as SideSummary;
    const peers = b.zipkin ?? [];
    // Completed runs only: a side with none has no bar (its row in the table says why).
    const bars = [tf, ...peers.map((p) => p.summary)].flatMap((s, i) =>
      Number.isFinite(s.drainDocsPerSec.median)
        ? [bar(s.drainDocsPerSec, i === 0 ? COLORS.tracefold : (peerColors[(i - 1) % peerColors.length] as typeof COLORS.tracefold))]
        : [],
    );
    return { label: `${si(b.preloaded.spans)}, ${b.spansPerMessage}/msg`, bars };
  });
  return barChart({
    title: 'Kafka → OpenSearch: tracefold vs Zipkin',
    subtitle: `documents/s from the first record consumed to the last searchable (${e.topic.encoding}), completed runs, median, whiskers min–max`,
    yLabel: 'documents/s',
    groups,
    legend: [
      { label: `tracefold (${e.workers} workers)`, color: COLORS.tracefold },
      ...e.zipkinHeaps.map((h, i) => ({
        label: `Zipkin ${r.machine.zipkin} ${h}`,
        color: peerColors[i % peerColors.length] as typeof COLORS.tracefold,
      })),
    ],
    notes: [
      ...both.map(
        (b) =>
          `${si(b.preloaded.spans)}, ${b.spansPerMessage}/msg: ` +
          (b.zipkin ?? [])
            .map((p) =>
              p.ratio.pairs > 0
                ? `vs ${p.heap} ${ratio(p.ratio.drain?.median ?? Number.NaN)}`
                : `${p.heap} did not complete (${shortReason(p.summary.errors[0] ?? '')})`,
            )
            .join(', '),
      ),
      `${r.machine.cpuModel}, ${r.machine.cores} cores, shared with OpenSearch and Kafka; load average ${r.machine.loadAtStart.toFixed(1)} at start`,
    ],
  });
}

/** Writes latest.{md,json} and timestamped copies (and the charts) into `dir`. Returns the markdown. */
export function writeResults(dir: string, r: BenchResults): { markdown: string; files: string[] } {
  mkdirSync(dir, { recursive: true });
  const stamp = r.startedAt.replace(/[:.]/g, '-');
  const files: string[] = [];
  const write = (name: string, data: string | Buffer): void => {
    writeFileSync(join(dir, name), data);
    files.push(join(dir, name));
  };
  const chartsFor = (prefix: string): { workers?: string; zipkin?: string } => {
    const names: { workers?: string; zipkin?: string } = {};
    if (r.pipeline && r.pipeline.byWorkers.length > 0) {
      names.workers = `${prefix}-workers.png`;
      write(names.workers, workersChart(r.pipeline, r));
    }
    const z = r.e2e ? zipkinChart(r.e2e, r) : undefined;
    if (z) {
      names.zipkin = `${prefix}-zipkin.png`;
      write(names.zipkin, z);
    }
    return names;
  };
  const json = `${JSON.stringify(r, null, 2)}\n`;
  write(`${stamp}.json`, json);
  write(`${stamp}.md`, markdown(r, chartsFor(stamp)));
  write('latest.json', json);
  const md = markdown(r, chartsFor('latest'));
  write('latest.md', md);
  return { markdown: md, files };
}

/** Replaces (or appends at the end) the README's "## Benchmarks" section, up to the next "## " heading. */
export function updateReadme(readmePath: string, r: BenchResults, resultsLink: string): void {
  if (!existsSync(readmePath)) throw new Error(`no README at ${readmePath}`);
  const text = readFileSync(readmePath, 'utf8');
  const at = text.search(/^## Benchmarks\s*$/m);
  let head = text;
  let tail = '';
  if (at >= 0) {
    head = text.slice(0, at);
    const rest = text.slice(at + 1);
    const next = rest.search(/^## /m);
    if (next >= 0) tail = `\n${rest.slice(next)}`;
  }
  head = head.replace(/\s*$/, '\n\n');
  const parts = [
    '## Benchmarks',
    '',
    '`tracefold bench` (or `npm run bench --`) measures every speed and memory claim in one run on one machine: micro benchmarks of each',
    'hot-path stage, the worker pipeline without I/O for 1…N workers, Kafka → OpenSearch end to end, the stock Zipkin server on the same',
    'topic (KAFKA_STREAMS = partitions, one side per heap, messages of 1, 10 and 100 spans; throughput from the first record consumed,',
    'start-up reported apart; a run counts only if every expected document `_id` is stored, and only completed rounds give ratios),',
    'the same documents straight to `_bulk` as the ceiling of the engine, `tracefold replay` of that topic against ingest, and memory',
    '(bytes per buffered span, peak RSS under a burst against a slowed search engine). It starts the local servers',
    'through `infra/` when they are not running, cleans up what it creates, and writes `bench/results/latest.{md,json}` (plus',
    'timestamped copies and PNG charts). `--quick` takes a few minutes; `--only micro,pipeline` needs no servers; see `--help`.',
    '',
    `Latest ${r.mode} run (${r.startedAt.slice(0, 10)}, ${r.machine.cpuModel}, ${r.machine.cores} cores, Node ${r.machine.node}, ` +
      `load average ${r.machine.loadAtStart.toFixed(1)} at start on a shared machine; full tables in [${resultsLink}](${resultsLink})):`,
    '',
    goalsTable(r.goals),
  ];
  if (r.pipeline) parts.push('', pipelineSection(r.pipeline, r.machine.cores));
  if (r.stages) parts.push('', stagesSection(r.stages));
  if (r.e2e) parts.push('', e2eSection(r.e2e));
  parts.push('');
  writeFileSync(readmePath, head + parts.join('\n') + tail);
}

const times = (s: Summary | undefined): string => (s === undefined ? 'n/a' : `${s.median.toFixed(2)}×`);

/** "did not complete: N of M stored, reason" of a side's first incomplete run. */
function firstFailure(s: SideSummary): string {
  return (s.errors[0] ?? 'did not complete').replace(/^run \d+: /, '');
}

/**
 * The throughput goal against Zipkin, quoting completed rounds only: per backlog and message shape
 * and per Zipkin heap, the ratio from the first record consumed (start-up excluded) and while
 * making progress, then steady; a peer that never completed gives its verdict, not a ratio. Met
 * when tracefold completed every run and every quoted ratio from the first record is ≥ 2; unknown
 * (null) when no round had both sides complete.
 */
export function throughputGoal(backlogs: readonly BacklogResult[]): Goal | undefined {
  const withPeers = backlogs.filter((b) => b.tracefold && (b.zipkin?.length ?? 0) > 0);
  if (withPeers.length === 0) return undefined;
  const quoted: number[] = [];
  const parts = withPeers.map((b) => {
    const peers = (b.zipkin ?? []).map((p) => {
      if (p.ratio.pairs === 0) return `Zipkin ${p.heap} ${firstFailure(p.summary)}`;
      if (p.ratio.drain) quoted.push(p.ratio.drain.median);
      const failed = p.summary.runs.length - p.summary.completedRuns;
      return (
        `vs Zipkin ${p.heap}: from first record ${times(p.ratio.drain)}, progressing ${times(p.ratio.active)}, steady ${times(p.ratio.steady)} ` +
        `(${p.ratio.pairs} round${p.ratio.pairs === 1 ? '' : 's'}${failed > 0 ? `; ${failed} Zipkin run(s) did not complete` : ''})`
      );
    });
    return `${si(b.preloaded.spans)} spans, ${b.spansPerMessage}/msg: ${peers.join(', ')}`;
  });
  const tf = withPeers.map((b) => b.tracefold as SideSummary);
  const tfOk = tf.every((s) => s.allComplete);
  const tfText = tfOk ? 'tracefold completed every run' : `tracefold ${firstFailure(tf.find((s) => !s.allComplete) as SideSummary)}`;
  return {
    goal: 'Kafka → OpenSearch ≥ 2× Zipkin throughput (first record consumed → last doc searchable) with every document stored',
    measured: `${parts.join('; ')}; ${tfText}`,
    met: !tfOk ? false : quoted.length === 0 ? null : quoted.every((x) => x >= 2),
  };
}

/** tracefold against the engine's own rate on the same documents (informational: no target). */
export function ceilingGoal(backlogs: readonly BacklogResult[]): Goal | undefined {
  const withCeiling = backlogs.filter((b) => b.ceiling);
  if (withCeiling.length === 0) return undefined;
  return {
    goal: "tracefold's rate as a fraction of the engine's `_bulk` ceiling (same documents, same rounds)",
    measured: withCeiling
      .map((b) => {
        const c = b.ceiling as CeilingSummary;
        return (
          `${si(b.preloaded.spans)} spans, ${b.spansPerMessage}/msg: ceiling ${fmt(c.docsPerSec)} docs/s; tracefold wall ${fmt(c.fractions.wall, pct)}, ` +
          `from first record ${fmt(c.fractions.drain, pct)}, progressing ${fmt(c.fractions.active, pct)}` +
          (c.cpu === undefined ? '' : `; CPU bound with the engine on the same ${c.cpu.cores} cores ${fmt(c.cpu.boundFraction, pct)}`)
        );
      })
      .join('; '),
    met: null,
  };
}
