/**
 * The harness: runs the selected phases in order (CPU-only phases first, then the ones that need
 * Kafka and OpenSearch), keeps going when one phase fails (reported in the results), evaluates the
 * goals and writes the results. Progress goes to stderr, the tables to stdout.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { ZipkinEncoding } from '../core/model/span.js';
import { startZipkin } from '../infra/index.js';
import { KafkaProducer } from '../src/kafka/producer.js';
import type { WorkerSettings } from '../workers/protocol.js';
import {
  buildBulkBodies,
  CEILING_CONNECTIONS,
  CEILING_DOCS_PER_REQUEST,
  type CeilingBodies,
  type CeilingCpu,
  type CeilingRun,
  type CeilingSummary,
  ceilingFractions,
  ceilingRun,
  cpuBoundFraction,
} from './ceiling.js';
import { completedRatios } from './completion.js';
import {
  abandonAll,
  cliCommand,
  type IngestTarget,
  type LatencyPlan,
  latencyRun,
  type RunOptions,
  replayRun,
  SENT_TAG,
  type SideRun,
  sharedArgs,
  spawnTracefold,
  throughputRun,
  tracefoldArgs,
  zipkinSettings,
} from './e2e.js';
import { currentLoad, machineInfo } from './machine.js';
import { type MemoryOptions, runBurst, runProbes } from './memory.js';
import { runMicro } from './micro.js';
import { defaultWorkerSettings, PIPELINE_QUIET_MS, type PipelineRun, pipelineFlags, pipelineRun, pipelineTraffic } from './pipeline.js';
import { type ReplayRun, replayGoal, replayRatios, summarizeReplay } from './replay.js';
import {
  type BacklogResult,
  type BenchResults,
  ceilingGoal,
  type E2eResult,
  type E2eSettings,
  type Goal,
  markdown,
  type Phase,
  type PipelineByWorkers,
  type PipelineLinksOff,
  type PipelineResult,
  type PipelineSampling,
  type SamplingPhaseResult,
  type SideSummary,
  throughputGoal,
  updateReadme,
  writeResults,
} from './report.js';
import { checkSampling } from './sampling-check.js';
import {
  createTopic,
  deleteIndexPrefix,
  dropTopic,
  freePort,
  KAFKA,
  OPENSEARCH,
  openSearchVersion,
  preload,
  Resources,
  uniqueId,
  waitEngineQuiet,
} from './servers.js';
import { shipPhase } from './ship.js';
import { runStages } from './stages.js';
import { pairedRatios, si, summarize } from './stats.js';
import { type BaseTrace, loadBaseTraces, MessageGen, repoRoot, TraceGen, toBatches } from './traffic.js';
import { exampleSampling, samplingWorkload, workloadMessages } from './workload.js';

export interface BenchOptions {
  quick: boolean;
  only: Phase[];
  /** Spans pre-loaded for the end-to-end phases. */
  spans?: number;
  encoding: ZipkinEncoding;
  spansPerMessage: number;
  runs?: number;
  workersMax: number;
  /** JVM heaps of the Zipkin peer: one side per heap. */
  zipkinHeaps: string[];
  /** Spans per message of the e2e backlogs (unset: 1, 10, 100; quick: `spansPerMessage`). */
  e2eShapes?: number[];
  outDir: string;
  updateReadme: boolean;
  command: string;
}

/** Sizes per mode; `--runs` and `--spans` override. Quick must finish in under 5 minutes on 2 cores. */
function plan(o: BenchOptions) {
  const q = o.quick;
  return {
    micro: { corpusSpans: q ? 2_000 : 5_000, timeMs: q ? 150 : 1_000, warmupMs: q ? 100 : 300, runs: o.runs ?? (q ? 3 : 5) },
    // Warm-up to steady state: after 20k spans V8's optimising compiler was still at work in the
    // timed runs (seen as helper-thread CPU, 2-3 µs a span with 2 workers, each warmed on half).
    pipeline: { spans: q ? 100_000 : 500_000, warmupSpans: q ? 100_000 : 200_000, runs: o.runs ?? 3, quietMs: PIPELINE_QUIET_MS },
    e2e: {
      // Full: 1M (the scale claim) and 100k (a backlog the stock Zipkin survives: a throughput to compare).
      backlogs: o.spans !== undefined ? [o.spans] : q ? [100_000] : [1_000_000, 100_000],
      // Zipkin's collector writes one bulk request per record: the message shape matters to it most.
      shapes: o.e2eShapes ?? (q ? [o.spansPerMessage] : [1, 10, 100]),
      runs: o.runs ?? (q ? 2 : 3),
      partitions: 4,
      latencyRate: q ? 2_000 : 5_000,
      latencySeconds: q ? 5 : 15,
      stallMs: 20_000,
    },
    ship: { spans: o.spans ?? (q ? 100_000 : 500_000), runs: o.runs ?? (q ? 2 : 3), partitions: 4 },
    memory: {
      probeSpans: q ? 150_000 : 500_000,
      runs: o.runs === undefined ? (q ? 1 : 3) : Math.min(o.runs, 3),
      burstLimitBytes: (q ? 8 : 32) * 1024 * 1024,
      burstObserveSeconds: q ? 20 : 30,
    },
  };
}

const say = (line: string): void => {
  process.stderr.write(`[bench] ${line}\n`);
};

/** CPU per input span with the example sampling config against keep-all, one worker, paired per round. */
async function samplingCpu(o: BenchOptions, p: ReturnType<typeof plan>['pipeline']): Promise<PipelineSampling> {
  const traces = o.quick ? 10_000 : 40_000;
  say(`pipeline: sampling cost on ${traces} workload traces`);
  const workload = samplingWorkload({ traces, seed: 9 });
  const warm = toBatches(workloadMessages(samplingWorkload({ traces: Math.floor(traces / 5), seed: 10 }), o.spansPerMessage), 6, []);
  const messages = workloadMessages(workload, o.spansPerMessage);
  const timed = toBatches(messages, 6, []);
  const keepAll = defaultWorkerSettings(pipelineFlags(p.quietMs));
  const example: WorkerSettings = { ...keepAll, sample: exampleSampling() };
  const a: number[] = [];
  const b: number[] = [];
  for (let round = 0; round < p.runs; round++) {
    const first = round % 2 === 0;
    for (const which of first ? ['keep', 'example'] : ['example', 'keep']) {
      const r = await pipelineRun(1, which === 'keep' ? keepAll : example, warm, timed);
      (which === 'keep' ? a : b).push(r.cpuMicrosPerSpan);
      say(
        `pipeline: sampling round ${round + 1}/${p.runs}, ${which === 'keep' ? 'keep-all' : 'example config'}: ${r.cpuMicrosPerSpan.toFixed(1)} µs CPU/span`,
      );
    }
  }
  return {
    traces,
    spans: messages.spans,
    keepAllCpuMicrosPerSpan: summarize(a),
    exampleCpuMicrosPerSpan: summarize(b),
    cpuRatio: summarize(pairedRatios(b, a)),
  };
}

/**
 * What the example sampling config stores of the labelled workload (issue #11's acceptance, also a
 * regression test): produced to a fresh topic, read by `tracefold replay --config
 * config/recommended.yaml` into a fresh prefix, judged through a Zipkin server reading that prefix.
 */
async function samplingPhase(o: BenchOptions, resources: Resources): Promise<SamplingPhaseResult> {
  const traces = o.quick ? 20_000 : 100_000;
  const id = uniqueId();
  const topic = `bench-sampling-${id}`;
  const prefix = `bench-sampling-${id}`;
  const startMs = Date.now();
  say(`sampling: ${traces} workload traces`);
  const workload = samplingWorkload({ traces, seed: 5 });
  await createTopic(topic, 4);
  const zipkin = await startZipkin(
    { name: `zipkin-${prefix}`, port: await freePort([9420, 9499]), esIndex: prefix },
    { dependencies: false },
  );
  try {
    const producer = await KafkaProducer.connect(KAFKA);
    try {
      const sends: Promise<number>[] = [];
      for (const t of workload)
        for (let i = 0; i < t.spans.length; i += o.spansPerMessage)
          sends.push(producer.send({ topic, value: Buffer.from(JSON.stringify(t.spans.slice(i, i + o.spansPerMessage))) }));
      await Promise.all(sends);
    } finally {
      await producer.close();
    }
    const config = 'config/recommended.yaml';
    const t0 = performance.now();
    const child = spawnTracefold(
      [
        'replay',
        ...sharedArgs(topic, o.workersMax),
        '--from',
        'earliest',
        '--to',
        'latest',
        '--es-index-prefix',
        prefix,
        '--config',
        join(repoRoot(), config),
        '--json',
      ],
      join(repoRoot(), '.tracefold', 'bench-logs'),
      prefix,
    );
    const code = await child.exited;
    const replaySeconds = (performance.now() - t0) / 1000;
    if (code !== 0) throw new Error(`replay exited ${code} (log ${child.logFile})`);
    await fetch(`${OPENSEARCH}/${prefix}*/_refresh`, { method: 'POST' });
    const outcome = await checkSampling(zipkin.url, workload, Date.now() + 60_000, Date.now() - startMs + 3_600_000);
    say(
      `sampling: stored ${outcome.storedSpans} of ${outcome.inputSpans} spans (${(outcome.storedFraction * 100).toFixed(1)} %); ` +
        `errors ${outcome.byClass.error.stored}/${outcome.byClass.error.total}, slow ${outcome.byClass.slow.stored}/${outcome.byClass.slow.total}, shapes ${outcome.shapes.stored}/${outcome.shapes.total}`,
    );
    return { outcome, replaySeconds, config };
  } finally {
    await zipkin.stop().catch(() => undefined);
    await dropTopic(topic).catch(() => undefined);
    await fetch(`${OPENSEARCH}/${prefix}*`, { method: 'DELETE' }).catch(() => undefined);
    void resources;
  }
}

async function pipelinePhase(bases: BaseTrace[], o: BenchOptions, p: ReturnType<typeof plan>['pipeline']): Promise<PipelineResult> {
  say(`pipeline: generating ${p.warmupSpans} + ${p.spans} spans (${o.encoding}, ${o.spansPerMessage}/message)`);
  const { warmup, timed, timedMessages } = pipelineTraffic(bases, o.encoding, o.spansPerMessage, p.warmupSpans, p.spans);
  const settings = defaultWorkerSettings(pipelineFlags(p.quietMs));
  const noLinks = defaultWorkerSettings(pipelineFlags(p.quietMs, ['--no-dependencies-enabled']));
  const counts = Array.from({ length: o.workersMax }, (_, i) => i + 1);
  const runs: PipelineRun[] = [];
  const offRuns: PipelineRun[] = [];
  for (let round = 0; round < p.runs; round++) {
    // Alternate the order of worker counts (and of links on/off): slow drift in machine load hits all of them alike.
    const order = round % 2 === 0 ? counts : [...counts].reverse();
    for (const w of order) {
      for (const links of round % 2 === 0 ? [true, false] : [false, true]) {
        const r = await pipelineRun(w, links ? settings : noLinks, warmup, timed);
        say(
          `pipeline: round ${round + 1}/${p.runs}, ${w} worker(s)${links ? '' : ', links off'}: ${si(r.spansPerSec)} spans/s, ${r.cpuMicrosPerSpan.toFixed(1)} µs CPU/span`,
        );
        (links ? runs : offRuns).push(r);
      }
    }
  }
  const sampling = await samplingCpu(o, p);
  const byRound = (w: number): PipelineRun[] => runs.filter((r) => r.workers === w);
  const one = byRound(1).map((r) => r.spansPerSec);
  const byWorkers: PipelineByWorkers[] = counts.map((w) => {
    const rs = byRound(w);
    const rates = rs.map((r) => r.spansPerSec);
    const entry: PipelineByWorkers = {
      workers: w,
      spansPerSec: summarize(rates),
      perWorker: summarize(rates.map((x) => x / w)),
      cpuMicrosPerSpan: summarize(rs.map((r) => r.cpuMicrosPerSpan)),
      spansPerCpuSecond: summarize(rs.map((r) => 1e6 / r.cpuMicrosPerSpan)),
      coresBusy: summarize(rs.map((r) => r.coresBusy)),
      runQueueCores: summarize(rs.map((r) => r.runQueueCores)),
      cpuByThread: {
        coordinator: summarize(rs.map((r) => r.cpuByThread.coordinator)).median,
        workers: summarize(rs.map((r) => r.cpuByThread.workers)).median,
        helpers: summarize(rs.map((r) => r.cpuByThread.helpers)).median,
      },
      forwardedFraction: summarize(rs.map((r) => r.forwardedFraction)).median,
      gc: {
        pauseMicrosPerSpan: summarize(rs.map((r) => r.gcPauseMicrosPerSpan)).median,
        shareOfWorkers: summarize(rs.map((r) => r.gcShareOfWorkers)).median,
      },
    };
    if (w > 1) {
      entry.speedup = summarize(pairedRatios(rates, one));
      entry.efficiency = entry.speedup.median / w;
    }
    return entry;
  });
  const linksOff: PipelineLinksOff[] = counts.map((w) => {
    const off = offRuns.filter((r) => r.workers === w);
    return {
      workers: w,
      spansPerSec: summarize(off.map((r) => r.spansPerSec)),
      cpuMicrosPerSpan: summarize(off.map((r) => r.cpuMicrosPerSpan)),
      throughputRatio: summarize(
        pairedRatios(
          byRound(w).map((r) => r.spansPerSec),
          off.map((r) => r.spansPerSec),
        ),
      ),
    };
  });
  return {
    linksOff,
    spans: timedMessages.spans,
    warmupSpans: p.warmupSpans,
    bytesPerSpan: timedMessages.bytes / timedMessages.spans,
    encoding: o.encoding,
    spansPerMessage: o.spansPerMessage,
    quietMs: p.quietMs,
    runs,
    byWorkers,
    sampling,
  };
}

function sideSummary(runs: SideRun[]): SideSummary {
  // Rates come from completed runs only: a run that stalled or died has a rate of what it did, not of the job.
  const done = runs.filter((r) => r.complete);
  const s = (f: (r: SideRun) => number, from: SideRun[] = done) => {
    const xs = from.map(f).filter((x) => Number.isFinite(x));
    return xs.length === 0 ? { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0, spreadPct: 0 } : summarize(xs);
  };
  return {
    runs,
    drainDocsPerSec: s((r) => r.drainDocsPerSec),
    wallDocsPerSec: s((r) => r.wallDocsPerSec),
    steadyDocsPerSec: s((r) => r.steadyDocsPerSec),
    consumeStartSeconds: s((r) => r.consumeStartSeconds, runs),
    startupSeconds: s((r) => r.startupSeconds, runs),
    peakRssBytes: s((r) => r.peakRssBytes, runs),
    cpuMicrosPerDoc: s((r) => r.cpuMicrosPerDoc),
    workCpuMicrosPerDoc: s((r) => r.workCpuMicrosPerDoc),
    steadyRunQueueCores: s((r) => r.steadyRunQueueCores),
    activeDocsPerSec: s((r) => r.activeDocsPerSec),
    errors: runs.flatMap((r) => (r.error ? [`run ${r.run}: ${r.error}`] : [])),
    lostDocsMax: Math.max(0, ...runs.map((r) => r.lostDocs)),
    extraDocsMax: Math.max(0, ...runs.map((r) => r.completion?.extra ?? 0)),
    completedRuns: done.length,
    selfReportedDroppedMax: Math.max(0, ...runs.map((r) => r.selfReportedDropped)),
    allComplete: runs.length > 0 && done.length === runs.length,
  };
}

/**
 * The engine's and tracefold's CPU per document and the bound they set on this machine, paired by
 * round (completed tracefold runs and ceiling runs only); undefined when the engine is not local.
 */
function ceilingCpu(ceilings: readonly CeilingRun[], tracefold: readonly SideRun[], cores: number): CeilingCpu | undefined {
  const alone: number[] = [];
  const withTf: number[] = [];
  const tf: number[] = [];
  const bound: number[] = [];
  for (const c of ceilings) {
    if (c.error === undefined && Number.isFinite(c.engineCpuMicrosPerDoc)) alone.push(c.engineCpuMicrosPerDoc);
  }
  for (const r of tracefold) {
    if (!Number.isFinite(r.engineCpuMicrosPerDoc) || !Number.isFinite(r.workCpuMicrosPerDoc)) continue;
    withTf.push(r.engineCpuMicrosPerDoc);
    tf.push(r.workCpuMicrosPerDoc);
    const c = ceilings.find((x) => x.run === r.run && x.error === undefined);
    const f = c === undefined ? Number.NaN : cpuBoundFraction(cores, r.engineCpuMicrosPerDoc, r.workCpuMicrosPerDoc, c.docsPerSec);
    if (Number.isFinite(f)) bound.push(f);
  }
  if (alone.length === 0 || tf.length === 0 || bound.length === 0) return undefined;
  return {
    cores,
    engineAlone: summarize(alone),
    engineWithTracefold: summarize(withTf),
    tracefold: summarize(tf),
    boundFraction: summarize(bound),
  };
}

/** The turns of one round: tracefold, one Zipkin per heap, replay, the ceiling. */
type Turn = { kind: 'tracefold' } | { kind: 'zipkin'; heap: string } | { kind: 'replay' } | { kind: 'ceiling' };

const turnName = (t: Turn): string => (t.kind === 'zipkin' ? `zipkin ${t.heap}` : t.kind);

/** Documents the ceiling sends per run at most: pre-built bodies of a 1M backlog would not fit beside the servers. */
const CEILING_MAX_DOCS = 200_000;

async function e2ePhase(
  bases: BaseTrace[],
  o: BenchOptions,
  p: ReturnType<typeof plan>['e2e'],
  sides: { tracefold: boolean; zipkin: boolean; replay: boolean; ceiling: boolean },
  resources: Resources,
): Promise<E2eResult> {
  const id = uniqueId();
  const latTopics = { tracefold: `bench-e2e-${id}-lat-tf`, zipkin: `bench-e2e-${id}-lat-zk` };
  const topicFor = (spans: number, shape: number): string => `bench-e2e-${id}-${spans}-${shape}`;
  const combos = p.backlogs.flatMap((spans) => p.shapes.map((shape) => ({ spans, shape })));
  const heaps = o.zipkinHeaps;
  for (const t of [...combos.map((c) => topicFor(c.spans, c.shape)), latTopics.tracefold, latTopics.zipkin]) {
    await createTopic(t, t.includes('-lat-') ? 2 : p.partitions);
    resources.onCleanup(`topic ${t}`, async () => {
      await dropTopic(t);
      await dropTopic(`${t}.dead-letter`);
    });
  }
  const runOpts: RunOptions = {
    workers: o.workersMax,
    zipkinHeap: heaps[0] as string,
    zipkinStreams: p.partitions,
    stallMs: p.stallMs,
    progress: say,
    logDir: join(repoRoot(), '.tracefold', 'bench-logs'),
  };
  // Replay and the ceiling take their turns in the same rounds as the ingest sides, over the same topic.
  const selected: Turn[] = [
    ...(sides.tracefold ? [{ kind: 'tracefold' } as const] : []),
    ...(sides.zipkin ? heaps.map((heap) => ({ kind: 'zipkin', heap }) as const) : []),
    ...(sides.replay ? [{ kind: 'replay' } as const] : []),
    ...(sides.ceiling ? [{ kind: 'ceiling' } as const] : []),
  ];
  const ingestSides = (['tracefold', 'zipkin'] as const).filter((side) => sides[side]);
  const backlogs: BacklogResult[] = [];
  let engineWarmup: E2eResult['engineWarmup'];
  for (const { spans, shape } of combos) {
    const topic = topicFor(spans, shape);
    say(`e2e: pre-loading ${topic} with ${spans} spans (${o.encoding}, ${shape}/message, ${p.partitions} partitions)`);
    // Timestamps at now: every run writes today's index, as live traffic would.
    const traces = new TraceGen(bases, { seed: 5, startMicros: () => Date.now() * 1000, collectIds: true });
    const gen = new MessageGen(traces, o.encoding, shape);
    const preloaded = await preload(topic, gen, spans, say);
    const ids = [...(traces.ids ?? [])];
    if (ids.length !== preloaded.expectedDocs) {
      throw new Error(`the generator counted ${preloaded.expectedDocs} distinct documents but made ${ids.length} distinct IDs`);
    }
    say(`e2e: pre-loaded ${preloaded.spans} spans (${preloaded.expectedDocs} distinct documents) in ${preloaded.seconds.toFixed(1)} s`);
    const target: IngestTarget = { topic, spans: preloaded.spans, expectedDocs: preloaded.expectedDocs, messages: preloaded.messages, ids };
    const tfRuns: SideRun[] = [];
    const zkRuns = new Map<string, SideRun[]>(heaps.map((h) => [h, []]));
    const replays: ReplayRun[] = [];
    const ceilings: CeilingRun[] = [];
    const settles: BacklogResult['settles'] = [];
    // The same documents (same seed, same IDs; timestamps at now), built once before the rounds so building is not timed.
    // The index prefix is inside the bodies: every round writes to the same one, deleted after each run.
    const ceilingPrefix = `bench-ceiling-${id}-${spans}-${shape}`;
    const ceilingBodies = sides.ceiling
      ? buildBulkBodies(
          new TraceGen(bases, { seed: 5, startMicros: () => Date.now() * 1000 }),
          ceilingPrefix,
          Math.min(CEILING_MAX_DOCS, preloaded.expectedDocs),
        )
      : undefined;
    if (sides.ceiling) resources.onCleanup(`indices ${ceilingPrefix}`, () => deleteIndexPrefix(ceilingPrefix));
    if (engineWarmup === undefined) {
      // A freshly started engine indexes at a fraction of its rate until its JIT and caches are warm
      // (quick runs here: 10k docs/s in the first ceiling run, 16k in the second): whichever side went
      // first in round 1 paid for that. Untimed _bulk runs of these documents warm it for all.
      engineWarmup = await warmEngine(
        ceilingBodies ??
          buildBulkBodies(
            new TraceGen(bases, { seed: 5, startMicros: () => Date.now() * 1000 }),
            ceilingPrefix,
            Math.min(CEILING_MAX_DOCS, preloaded.expectedDocs),
          ),
        ceilingPrefix,
      );
    }
    for (let round = 0; round < p.runs; round++) {
      // Alternate which side goes first: slow drift (machine load, OpenSearch merges) hits all alike.
      const order = round % 2 === 0 ? selected : [...selected].reverse();
      for (const turn of order) {
        const settle = await waitEngineQuiet();
        say(
          `e2e: ${si(spans)} backlog, ${shape}/message, round ${round + 1}/${p.runs}: ${turnName(turn)}` +
            ` (engine write pool ${settle.quiet ? `quiet after ${settle.seconds.toFixed(1)} s` : `still busy after ${settle.seconds.toFixed(0)} s: shared`})`,
        );
        settles.push({ round: round + 1, turn: turnName(turn), ...settle });
        if (turn.kind === 'replay') {
          const r = await replayRun(round + 1, target, runOpts);
          say(
            `e2e: replay run ${round + 1}: ${r.indexedDocs}/${r.expectedDocs} docs, exit ${r.exitCode} after ${r.wallSeconds.toFixed(1)} s, ` +
              `steady ${si(r.steadyDocsPerSec)}/s, wall ${si(r.wallDocsPerSec)}/s` +
              (r.error ? ` (${r.error})` : ''),
          );
          replays.push(r);
          continue;
        }
        if (turn.kind === 'ceiling') {
          try {
            await deleteIndexPrefix(ceilingPrefix);
            const c = await ceilingRun(round + 1, ceilingPrefix, ceilingBodies as CeilingBodies);
            say(
              `e2e: ceiling run ${round + 1}: ${c.docs} docs (${c.requests} requests, ${c.retries} sent again) in ${c.seconds.toFixed(1)} s, ` +
                `${si(c.docsPerSec)}/s` +
                (c.error ? ` (${c.error})` : ''),
            );
            ceilings.push(c);
          } catch (err) {
            // A failed ceiling is a missing reference, not a failed e2e phase.
            const cb = ceilingBodies as CeilingBodies;
            const error = `ceiling failed: ${(err as Error).message}`;
            say(`e2e: ceiling run ${round + 1}: ${error}`);
            ceilings.push({
              run: round + 1,
              docs: cb.ids.length,
              items: cb.items,
              requests: cb.bodies.length,
              retries: 0,
              seconds: Number.NaN,
              docsPerSec: Number.NaN,
              engineCpuMicrosPerDoc: Number.NaN,
              error,
            });
          } finally {
            await deleteIndexPrefix(ceilingPrefix).catch(() => undefined);
          }
          continue;
        }
        const side = turn.kind;
        const opts = turn.kind === 'zipkin' ? { ...runOpts, zipkinHeap: turn.heap } : runOpts;
        const r = await throughputRun(side, round + 1, target, opts);
        say(
          `e2e: ${turnName(turn)} run ${round + 1}: ${r.complete ? 'complete' : 'INCOMPLETE'}, ${r.completion?.found ?? '?'}/${r.expectedDocs} expected docs` +
            `${(r.completion?.extra ?? 0) > 0 ? ` (+${r.completion?.extra} extra)` : ''}, from first record ${si(r.drainDocsPerSec)}/s, ` +
            `start-up ${r.consumeStartSeconds.toFixed(1)} s, wall ${si(r.wallDocsPerSec)}/s` +
            (r.error ? ` (${r.error})` : ''),
        );
        if (turn.kind === 'zipkin') zkRuns.get(turn.heap)?.push(r);
        else tfRuns.push(r);
      }
    }
    const b: BacklogResult = { preloaded, spansPerMessage: shape, settles };
    if (tfRuns.length > 0) b.tracefold = sideSummary(tfRuns);
    if (sides.zipkin) {
      b.zipkin = heaps.map((heap) => {
        const runs = zkRuns.get(heap) ?? [];
        return { heap, summary: sideSummary(runs), ratio: completedRatios(tfRuns, runs) };
      });
    }
    if (ceilings.length > 0) {
      const rate = (r: CeilingRun): number => (r.error === undefined ? r.docsPerSec : Number.NaN);
      const ceilingOf = (run: number): number => {
        const c = ceilings.find((x) => x.run === run);
        return c === undefined ? Number.NaN : rate(c);
      };
      const done = tfRuns.filter((r) => r.complete);
      const frac = (f: (r: SideRun) => number) =>
        ceilingFractions(
          done.map(f),
          done.map((r) => ceilingOf(r.run)),
        );
      const okRates = ceilings.map(rate).filter((x) => Number.isFinite(x));
      const fractions: CeilingSummary['fractions'] = {};
      const wall = frac((r) => r.wallDocsPerSec);
      const drain = frac((r) => r.drainDocsPerSec);
      const active = frac((r) => r.activeDocsPerSec);
      if (wall) fractions.wall = wall;
      if (drain) fractions.drain = drain;
      if (active) fractions.active = active;
      b.ceiling = {
        runs: ceilings,
        docsPerSec: okRates.length > 0 ? summarize(okRates) : undefined,
        connections: CEILING_CONNECTIONS,
        docsPerRequest: CEILING_DOCS_PER_REQUEST,
        fractions,
      };
      const cpu = ceilingCpu(ceilings, done, machineInfo().cores);
      if (cpu) b.ceiling.cpu = cpu;
    }
    if (replays.length > 0) {
      b.replay = summarizeReplay(replays);
      const vs = replayRatios(replays, tfRuns);
      if (vs) b.replayRatio = vs;
    }
    backlogs.push(b);
    // The backlog topic is not needed any more: give Kafka its disk back before the next one.
    await dropTopic(topic).catch(() => undefined);
  }
  const latency: E2eResult['latency'] = {};
  // Latency is a property of a live ingest, not of a replay.
  for (const side of ingestSides) {
    const clock = { ms: 0 };
    const tagged = new TraceGen(bases, {
      seed: side === 'tracefold' ? 17 : 19,
      startMicros: () => Date.now() * 1000,
      tags: () => ({ [SENT_TAG]: String(clock.ms) }),
    });
    const plan: LatencyPlan = {
      topic: latTopics[side],
      gen: new MessageGen(tagged, o.encoding, o.spansPerMessage),
      clock,
      ratePerSec: p.latencyRate,
      seconds: p.latencySeconds,
      pollMs: 250,
    };
    const warmup = new MessageGen(new TraceGen(bases, { seed: 29, startMicros: () => Date.now() * 1000 }), o.encoding, o.spansPerMessage);
    say(`e2e: ${side} latency: ${p.latencyRate} spans/s for ${p.latencySeconds} s in a fresh process`);
    try {
      latency[side] = await latencyRun(side, plan, warmup, runOpts);
    } catch (err) {
      latency[side] = { error: (err as Error).message };
      say(`e2e: ${side} latency failed: ${(err as Error).message}`);
    }
    if (side !== 'tracefold') continue;
    // The same live load with a trace-level policy (keeps every trace, so every span is measured):
    // documents wait for their trace's window and decision.
    const policyClock = { ms: 0 };
    const policyPlan: LatencyPlan = {
      ...plan,
      topic: `${plan.topic}-policy`,
      clock: policyClock,
      gen: new MessageGen(
        new TraceGen(bases, { seed: 23, startMicros: () => Date.now() * 1000, tags: () => ({ [SENT_TAG]: String(policyClock.ms) }) }),
        o.encoding,
        o.spansPerMessage,
      ),
    };
    await createTopic(policyPlan.topic, 2);
    say(`e2e: tracefold latency with a trace-level policy: ${p.latencyRate} spans/s for ${p.latencySeconds} s`);
    try {
      latency.tracefold_policy = await latencyRun('tracefold', policyPlan, warmup, {
        ...runOpts,
        extraArgs: ['--sample-policies', '[{"type":"probabilistic","name":"all","rate":1}]'],
      });
    } catch (err) {
      latency.tracefold_policy = { error: (err as Error).message };
      say(`e2e: tracefold latency with a policy failed: ${(err as Error).message}`);
    } finally {
      await dropTopic(policyPlan.topic).catch(() => undefined);
    }
  }
  const settings: E2eSettings = {
    tracefold: {
      command: cliCommand().label,
      // The admin port is picked per run: the value after --admin-port is a placeholder.
      args: tracefoldArgs('<backlog topic>', '<fresh per run>', '<fresh per run>', 0, o.workersMax).map((a, i, all) =>
        all[i - 1] === '--admin-port' ? '<free port>' : a,
      ),
      notes:
        'every other setting at its default: keep-all (documents written as they arrive), window quiet 5 s, bulk sizes and in-flight limits as shipped',
    },
    zipkin: heaps.map((h) => zipkinSettings(h, p.partitions)),
    ceiling: {
      connections: CEILING_CONNECTIONS,
      docsPerRequest: CEILING_DOCS_PER_REQUEST,
      maxDocs: CEILING_MAX_DOCS,
      explicitIds: true,
      template: "tracefold's span template, 1 shard, 0 replicas",
    },
    run: {
      stallMs: p.stallMs,
      pollMs: 250,
      startupTimeoutMs: 120_000,
      rounds: p.runs,
      order: 'every side once per round, the order reversed every other round',
    },
    latencyZipkinHeap: runOpts.zipkinHeap,
  };
  return {
    engineWarmup,
    topic: { partitions: p.partitions, encoding: o.encoding, shapes: p.shapes },
    workers: o.workersMax,
    zipkinHeaps: heaps,
    settings,
    cli: cliCommand().label,
    sides: selected.map(turnName),
    backlogs,
    latency,
    latencyQuietMs: 5000,
    sampling: 'see the pipeline phase (CPU) and the sampling phase (what is stored)',
  };
}

/** How many untimed warm-up runs at most, and how close two in a row must be to call the engine warm. */
const WARMUP_RUNS = 6;
const WARMUP_STEADY = 0.15;

/**
 * Untimed ceiling runs into `prefix` (deleted before, between and after) until two in a row agree
 * within WARMUP_STEADY (at most WARMUP_RUNS): the engine warm for the timed rounds. A fresh engine
 * here went 5.7k → 9.3k → 14.7k → 18.5k docs/s over its first runs of 100,000 documents, then 25k in
 * the timed ceiling runs that followed (quick run, 2026-12-05).
 */
async function warmEngine(bodies: CeilingBodies, prefix: string): Promise<E2eResult['engineWarmup']> {
  say(`e2e: warming the engine up: ${bodies.ids.length} documents straight to _bulk, untimed, until two runs agree`);
  const rates: number[] = [];
  let seconds = 0;
  try {
    for (let run = 1; run <= WARMUP_RUNS; run++) {
      await deleteIndexPrefix(prefix);
      const w = await ceilingRun(0, prefix, bodies);
      if (w.error !== undefined) throw new Error(w.error);
      rates.push(w.docsPerSec);
      seconds += w.seconds;
      say(`e2e: engine warm-up run ${run}: ${si(w.docsPerSec)}/s`);
      const last = rates.length - 2;
      if (last >= 0 && Math.abs(w.docsPerSec / (rates[last] as number) - 1) <= WARMUP_STEADY) break;
    }
    return { docs: bodies.ids.length, runs: rates.length, seconds, docsPerSec: rates };
  } catch (err) {
    say(`e2e: engine warm-up failed: ${(err as Error).message}`);
    return { docs: bodies.ids.length, runs: rates.length, seconds, docsPerSec: rates, error: (err as Error).message };
  } finally {
    await deleteIndexPrefix(prefix).catch(() => undefined);
  }
}

function evaluateGoals(r: BenchResults): Goal[] {
  const goals: Goal[] = [];
  if (r.micro) {
    for (const x of r.micro.ratios) {
      if (x.met === undefined) continue;
      goals.push({ goal: `micro: ${x.name} ${x.goal}`, measured: `${x.ratio.median.toFixed(2)}×`, met: x.met });
    }
  }
  if (r.pipeline) {
    const per = r.pipeline.byWorkers.map(
      (w) =>
        `${w.workers}w: ${si(w.perWorker.median)}/s (${si(w.spansPerCpuSecond.median)} per CPU-s` +
        `${w.gc ? `, GC pauses ${Math.round(w.gc.shareOfWorkers * 100)} % of worker CPU` : ''})`,
    );
    // Issue #15's goal (milestone 1 had 100,000).
    goals.push({
      goal: 'pipeline without I/O ≥ 150,000 spans/s per worker',
      measured: per.join('; '),
      met: r.pipeline.byWorkers.every((w) => w.perWorker.median >= 150_000),
    });
    const two = r.pipeline.byWorkers.find((w) => w.workers === 2);
    goals.push({
      goal: 'pipeline ≥ 1.8× from 1 to 2 workers',
      measured: two?.speedup
        ? `${two.speedup.median.toFixed(2)}× (${two.speedup.min.toFixed(2)}–${two.speedup.max.toFixed(2)})`
        : 'not measured (needs --workers-max ≥ 2)',
      met: two?.speedup ? two.speedup.median >= 1.8 : null,
    });
    const sm = r.pipeline.sampling;
    if (sm) {
      goals.push({
        goal: 'CPU per input span with the example sampling config ≤ 1.15 × keep-all',
        measured: `${sm.cpuRatio.median.toFixed(2)}× (${sm.cpuRatio.min.toFixed(2)}–${sm.cpuRatio.max.toFixed(2)}); ${sm.exampleCpuMicrosPerSpan.median.toFixed(1)} vs ${sm.keepAllCpuMicrosPerSpan.median.toFixed(1)} µs`,
        met: sm.cpuRatio.median <= 1.15,
      });
    }
  }
  if (r.stages) {
    const two = r.stages.figures.find((f) => f.mode === 'assemble' && f.workers === 2);
    goals.push({
      goal: 'two-stage: stage 2 (assemble) ≥ 1.8× from 1 to 2 workers',
      measured: two?.speedup
        ? `${two.speedup.median.toFixed(2)}× wall (${two.speedup.min.toFixed(2)}–${two.speedup.max.toFixed(2)}; ${two.runQueueCores.toFixed(2)} cores waited for), ` +
          `${two.cpuBoundSpeedup.toFixed(2)}× by CPU cost (single process: ${(r.stages.figures.find((f) => f.mode === 'single' && f.workers === 2)?.cpuBoundSpeedup ?? Number.NaN).toFixed(2)}×)`
        : 'not measured',
      met: two?.speedup ? two.speedup.median >= 1.8 : null,
    });
  }
  if (r.e2e) {
    const bl = r.e2e.backlogs;
    const tfLost = Math.max(0, ...bl.map((b) => b.tracefold?.lostDocsMax ?? 0));
    const tfComplete = bl.every((b) => b.tracefold === undefined || b.tracefold.allComplete);
    const ran = bl.filter((b) => b.tracefold);
    const vsZipkin = throughputGoal(bl);
    if (vsZipkin) goals.push(vsZipkin);
    else if (ran.length > 0) {
      goals.push({
        goal: 'Kafka → OpenSearch with zero loss (Zipkin side not run)',
        measured: `lost ${tfLost} docs`,
        met: tfLost === 0 && tfComplete,
      });
    }
    const ceiling = ceilingGoal(bl);
    if (ceiling) goals.push(ceiling);
  }
  if (r.e2e) {
    const lat = r.e2e.latency;
    const p99 = (l: (typeof lat)['tracefold']): number | undefined =>
      l !== undefined && !('error' in l) && Number.isFinite(l.p99Ms) ? l.p99Ms : undefined;
    const tf = p99(lat.tracefold);
    const zk = p99(lat.zipkin);
    if (tf !== undefined || zk !== undefined) {
      goals.push({
        goal: 'latency produce → searchable p99, keep-all ≤ Zipkin (same run)',
        measured: `tracefold ${tf === undefined ? 'n/a' : `${(tf / 1000).toFixed(2)} s`}, Zipkin ${zk === undefined ? 'n/a' : `${(zk / 1000).toFixed(2)} s`}`,
        met: tf !== undefined && zk !== undefined ? tf <= zk : null,
      });
    }
    const pol = p99(lat.tracefold_policy);
    if (lat.tracefold_policy !== undefined) {
      const quiet = r.e2e.latencyQuietMs ?? 5000;
      goals.push({
        goal: 'latency p99 with a trace-level policy ≤ quiet window + 1 s',
        measured: pol === undefined ? 'n/a' : `${(pol / 1000).toFixed(2)} s (window ${(quiet / 1000).toFixed(1)} s)`,
        met: pol === undefined ? null : pol <= quiet + 1000,
      });
    }
  }
  const sm = r.sampling?.outcome;
  if (sm) {
    goals.push({
      goal: 'example sampling config: every error and slow trace and every shape stored, ≤ 15 % of spans',
      measured:
        `errors ${sm.byClass.error.stored}/${sm.byClass.error.total}, slow ${sm.byClass.slow.stored}/${sm.byClass.slow.total}, ` +
        `shapes ${sm.shapes.stored}/${sm.shapes.total}, spans ${(sm.storedFraction * 100).toFixed(1)} %`,
      met:
        sm.byClass.error.stored === sm.byClass.error.total &&
        sm.byClass.slow.stored === sm.byClass.slow.total &&
        sm.shapes.stored === sm.shapes.total &&
        sm.storedFraction <= 0.15,
    });
  }
  const replay = r.e2e ? replayGoal(r.e2e.backlogs) : undefined;
  if (replay) goals.push(replay);
  const probe = r.memory?.probes?.find((p) => p.mode === 'pipeline' && p.mix === 'shared');
  if (probe) {
    goals.push({
      goal: '≤ 1 KB resident per buffered span',
      measured:
        `${probe.rssBytesPerSpan.median.toFixed(0)} B RSS, ${probe.heapBytesPerSpan.median.toFixed(0)} B heap per additional buffered span ` +
        `(window budget ${probe.entryChars.toFixed(0)} B: document + row; from empty: ${probe.rssBytesPerSpanFromStart?.median.toFixed(0) ?? '–'} B RSS)`,
      met: probe.rssBytesPerSpan.median <= 1024,
    });
  }
  const burst = r.memory?.burst;
  if (burst) {
    const [small, big] = burst.runs;
    const mb = (n: number): string => `${(n / 1024 ** 2).toFixed(0)} MiB`;
    // Bounded: the larger backlog ends about where the smaller one does, and its RSS has stopped
    // growing by mid-window although most of the backlog is still waiting in Kafka.
    const flat = big !== undefined && big.peakRssBytes <= big.firstHalfPeakRssBytes * 1.1;
    goals.push({
      goal: `peak RSS bounded under a ${big?.multiplier ?? 10}× burst (≤ 1.25 × the ${small?.multiplier ?? 2}× peak, flat by mid-window)`,
      measured:
        `${burst.runs.map((x) => `${x.multiplier}×: ${mb(x.peakRssBytes)} (idle ${mb(x.idleRssBytes)})`).join(', ')}; ratio ${burst.peakRatio.toFixed(2)}; ` +
        `${big ? `${big.multiplier}× peak by mid-window ${mb(big.firstHalfPeakRssBytes)}; ` : ''}configured data limits ${mb(burst.limits.totalBytes)}`,
      met: big !== undefined && burst.peakRatio <= 1.25 && flat,
    });
  }
  return goals;
}

export async function runBench(o: BenchOptions): Promise<number> {
  const started = new Date();
  const p = plan(o);
  const has = (ph: Phase): boolean => o.only.includes(ph);
  say(
    `tracefold bench (${o.quick ? 'quick' : 'full'}): ${o.only.join(', ')}; up to ${o.workersMax} workers; cores ${availableParallelism()}`,
  );
  const results: BenchResults = {
    version: 1,
    mode: o.quick ? 'quick' : 'full',
    startedAt: started.toISOString(),
    durationSeconds: 0,
    command: o.command,
    machine: machineInfo(),
    goals: [],
    errors: [],
  };
  if (results.machine.loadAtStart > results.machine.cores) {
    say(`note: load average ${results.machine.loadAtStart.toFixed(1)} on ${results.machine.cores} cores: other work competes for the CPU`);
  }
  const bases = loadBaseTraces();
  const resources = new Resources(say);
  // An interrupted run still removes what it created and leaves no child process behind.
  let interrupted = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (interrupted) process.exit(130);
    interrupted = true;
    say(`${sig}: stopping child processes and cleaning up (again to exit at once)`);
    void abandonAll()
      .then(() => resources.release())
      .finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const phase = async (name: string, body: () => Promise<void>): Promise<void> => {
    const t0 = performance.now();
    try {
      await body();
      say(`${name}: done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    } catch (err) {
      const msg = `${name}: ${(err as Error).message}`;
      say(`FAILED ${msg}`);
      if (process.env.TRACEFOLD_BENCH_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
      results.errors.push(msg);
    }
  };
  const memoryOptions: MemoryOptions = {
    ...p.memory,
    spansPerMessage: o.spansPerMessage,
    workers: o.workersMax,
    encoding: o.encoding,
    progress: say,
    logDir: join(repoRoot(), '.tracefold', 'bench-logs'),
  };

  try {
    if (has('micro')) {
      await phase('micro', async () => {
        results.micro = await runMicro(bases, { ...p.micro, spansPerMessage: o.spansPerMessage, progress: say });
      });
    }
    if (has('pipeline')) {
      await phase('pipeline', async () => {
        results.pipeline = await pipelinePhase(bases, o, p.pipeline);
      });
    }
    if (has('stages')) {
      await phase('stages', async () => {
        results.stages = await runStages(bases, {
          spans: p.pipeline.spans,
          warmupSpans: p.pipeline.warmupSpans,
          runs: p.pipeline.runs,
          partitions: 12,
          encoding: o.encoding,
          spansPerMessage: o.spansPerMessage,
          settings: defaultWorkerSettings(pipelineFlags(p.pipeline.quietMs)),
          progress: say,
        });
      });
    }
    if (has('memory')) {
      await phase('memory (bytes per buffered span)', async () => {
        results.memory = { ...results.memory, probes: await runProbes(memoryOptions) };
      });
    }
    const needServers = has('e2e') || has('zipkin') || has('replay') || has('ceiling') || has('sampling') || has('memory') || has('ship');
    if (needServers) {
      let serversOk = false;
      await phase('servers', async () => {
        say('servers: ensuring Kafka and OpenSearch (reused when running)');
        await resources.ensure(['kafka', 'opensearch']);
        results.machine.opensearch = await openSearchVersion();
        serversOk = true;
      });
      if (serversOk && (has('e2e') || has('zipkin') || has('replay') || has('ceiling'))) {
        await phase('e2e', async () => {
          const sides = { tracefold: has('e2e'), zipkin: has('zipkin'), replay: has('replay'), ceiling: has('ceiling') };
          results.e2e = await e2ePhase(bases, o, p.e2e, sides, resources);
        });
      }
      if (serversOk && has('sampling')) {
        await phase('sampling', async () => {
          results.sampling = await samplingPhase(o, resources);
        });
      }
      if (serversOk && has('ship')) {
        await phase('ship', async () => {
          results.ship = await shipPhase(bases, { ...p.ship, progress: say, logDir: join(repoRoot(), '.tracefold', 'bench-logs') });
        });
      }
      if (serversOk && has('memory')) {
        await phase('memory (burst)', async () => {
          results.memory = { ...results.memory, burst: await runBurst(bases, memoryOptions, resources) };
        });
      }
    }
  } finally {
    await resources.release();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  results.machine.loadAtEnd = currentLoad();
  results.durationSeconds = (Date.now() - started.getTime()) / 1000;
  results.goals = evaluateGoals(results);
  const { files } = writeResults(o.outDir, results);
  if (o.updateReadme) {
    updateReadme(join(repoRoot(), 'README.md'), results, 'bench/results/latest.md');
    say('README.md: Benchmarks section updated');
  }
  process.stdout.write(markdown(results, {}));
  say(`results: ${files.filter((f) => f.includes('latest')).join(', ')}`);
  say(`finished in ${(results.durationSeconds / 60).toFixed(1)} min`);
  return results.errors.length > 0 ? 1 : 0;
}
