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
  abandonAll,
  cliCommand,
  type IngestTarget,
  type LatencyPlan,
  latencyRun,
  replayRun,
  SENT_TAG,
  type Side,
  type SideRun,
  sharedArgs,
  spawnTracefold,
  throughputRun,
} from './e2e.js';
import { currentLoad, machineInfo } from './machine.js';
import { type MemoryOptions, runBurst, runProbes } from './memory.js';
import { runMicro } from './micro.js';
import { defaultWorkerSettings, type PipelineRun, pipelineRun } from './pipeline.js';
import { type ReplayRun, replayGoal, replayRatios, summarizeReplay } from './replay.js';
import {
  type BacklogResult,
  type BenchResults,
  type E2eResult,
  type Goal,
  markdown,
  type Phase,
  type PipelineByWorkers,
  type PipelineResult,
  type PipelineSampling,
  type SamplingPhaseResult,
  type SideSummary,
  updateReadme,
  writeResults,
} from './report.js';
import { checkSampling } from './sampling-check.js';
import { createTopic, dropTopic, freePort, KAFKA, OPENSEARCH, openSearchVersion, preload, Resources, uniqueId } from './servers.js';
import { shipPhase } from './ship.js';
import { pairedRatios, pairedSummary, si, summarize } from './stats.js';
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
  /** JVM heap the Zipkin peer runs with. */
  zipkinHeap: string;
  outDir: string;
  updateReadme: boolean;
  command: string;
}

/** Sizes per mode; `--runs` and `--spans` override. Quick must finish in under 5 minutes on 2 cores. */
function plan(o: BenchOptions) {
  const q = o.quick;
  return {
    micro: { corpusSpans: q ? 2_000 : 5_000, timeMs: q ? 150 : 1_000, warmupMs: q ? 100 : 300, runs: o.runs ?? (q ? 3 : 5) },
    pipeline: { spans: q ? 100_000 : 500_000, warmupSpans: q ? 20_000 : 50_000, runs: o.runs ?? 3, quietMs: 50 },
    e2e: {
      // Full: 1M (the scale claim) and 100k (a backlog the stock Zipkin survives: a throughput to compare).
      backlogs: o.spans !== undefined ? [o.spans] : q ? [100_000] : [1_000_000, 100_000],
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
  const keepAll = defaultWorkerSettings(['--sink-kind', 'null', '--window-quiet-ms', String(p.quietMs)]);
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
  const nowMicros = Date.now() * 1000;
  const gen = new MessageGen(new TraceGen(bases, { seed: 3, startMicros: () => nowMicros }), o.encoding, o.spansPerMessage);
  const warmup = toBatches(gen.messages(p.warmupSpans), 6, []);
  const timedMessages = gen.messages(p.spans);
  const timed = toBatches(timedMessages, 6, []);
  const settings = defaultWorkerSettings(['--sink-kind', 'null', '--window-quiet-ms', String(p.quietMs)]);
  const counts = Array.from({ length: o.workersMax }, (_, i) => i + 1);
  const runs: PipelineRun[] = [];
  for (let round = 0; round < p.runs; round++) {
    // Alternate the order of worker counts: slow drift in machine load hits all of them alike.
    const order = round % 2 === 0 ? counts : [...counts].reverse();
    for (const w of order) {
      const r = await pipelineRun(w, settings, warmup, timed);
      say(
        `pipeline: round ${round + 1}/${p.runs}, ${w} worker(s): ${si(r.spansPerSec)} spans/s, ${r.cpuMicrosPerSpan.toFixed(1)} µs CPU/span`,
      );
      runs.push(r);
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
    };
    if (w > 1) {
      entry.speedup = summarize(pairedRatios(rates, one));
      entry.efficiency = entry.speedup.median / w;
    }
    return entry;
  });
  return {
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
  const s = (f: (r: SideRun) => number) => {
    const xs = runs.map(f).filter((x) => Number.isFinite(x));
    return xs.length === 0 ? { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0, spreadPct: 0 } : summarize(xs);
  };
  return {
    runs,
    wallDocsPerSec: s((r) => r.wallDocsPerSec),
    steadyDocsPerSec: s((r) => r.steadyDocsPerSec),
    consumeStartSeconds: s((r) => r.consumeStartSeconds),
    startupSeconds: s((r) => r.startupSeconds),
    peakRssBytes: s((r) => r.peakRssBytes),
    cpuMicrosPerDoc: s((r) => r.cpuMicrosPerDoc),
    workCpuMicrosPerDoc: s((r) => r.workCpuMicrosPerDoc),
    steadyRunQueueCores: s((r) => r.steadyRunQueueCores),
    activeDocsPerSec: s((r) => r.activeDocsPerSec),
    errors: runs.flatMap((r) => (r.error ? [`run ${r.run}: ${r.error}`] : [])),
    lostDocsMax: Math.max(0, ...runs.map((r) => r.lostDocs)),
    selfReportedDroppedMax: Math.max(0, ...runs.map((r) => r.selfReportedDropped)),
    allComplete: runs.every((r) => r.complete),
  };
}

async function e2ePhase(
  bases: BaseTrace[],
  o: BenchOptions,
  p: ReturnType<typeof plan>['e2e'],
  sides: { tracefold: boolean; zipkin: boolean; replay: boolean },
  resources: Resources,
): Promise<E2eResult> {
  const id = uniqueId();
  const latTopics = { tracefold: `bench-e2e-${id}-lat-tf`, zipkin: `bench-e2e-${id}-lat-zk` };
  const topicFor = (spans: number): string => `bench-e2e-${id}-${spans}`;
  for (const t of [...p.backlogs.map(topicFor), latTopics.tracefold, latTopics.zipkin]) {
    await createTopic(t, t.includes('-lat-') ? 2 : p.partitions);
    resources.onCleanup(`topic ${t}`, async () => {
      await dropTopic(t);
      await dropTopic(`${t}.dead-letter`);
    });
  }
  const runOpts = {
    workers: o.workersMax,
    zipkinHeap: o.zipkinHeap,
    stallMs: p.stallMs,
    progress: say,
    logDir: join(repoRoot(), '.tracefold', 'bench-logs'),
  };
  // Replay takes its turn in the same rounds as the ingest sides, over the same topic.
  const selected = (['tracefold', 'zipkin', 'replay'] as const).filter((side) => sides[side]);
  const ingestSides = (['tracefold', 'zipkin'] as const).filter((side) => sides[side]);
  const backlogs: BacklogResult[] = [];
  for (const spans of p.backlogs) {
    const topic = topicFor(spans);
    say(`e2e: pre-loading ${topic} with ${spans} spans (${o.encoding}, ${o.spansPerMessage}/message, ${p.partitions} partitions)`);
    // Timestamps at now: every run writes today's index, as live traffic would.
    const gen = new MessageGen(new TraceGen(bases, { seed: 5, startMicros: () => Date.now() * 1000 }), o.encoding, o.spansPerMessage);
    const preloaded = await preload(topic, gen, spans, say);
    say(`e2e: pre-loaded ${preloaded.spans} spans (${preloaded.expectedDocs} distinct documents) in ${preloaded.seconds.toFixed(1)} s`);
    const target: IngestTarget = { topic, spans: preloaded.spans, expectedDocs: preloaded.expectedDocs };
    const runs: Record<Side, SideRun[]> = { tracefold: [], zipkin: [] };
    const replays: ReplayRun[] = [];
    for (let round = 0; round < p.runs; round++) {
      // Alternate which side goes first: slow drift (machine load, OpenSearch merges) hits both alike.
      const order = round % 2 === 0 ? selected : [...selected].reverse();
      for (const side of order) {
        say(`e2e: ${si(spans)} backlog, round ${round + 1}/${p.runs}: ${side}`);
        if (side === 'replay') {
          const r = await replayRun(round + 1, target, runOpts);
          say(
            `e2e: replay run ${round + 1}: ${r.indexedDocs}/${r.expectedDocs} docs, exit ${r.exitCode} after ${r.wallSeconds.toFixed(1)} s, ` +
              `steady ${si(r.steadyDocsPerSec)}/s, wall ${si(r.wallDocsPerSec)}/s` +
              (r.error ? ` (${r.error})` : ''),
          );
          replays.push(r);
          continue;
        }
        const r = await throughputRun(side, round + 1, target, runOpts);
        say(
          `e2e: ${side} run ${round + 1}: ${r.indexedDocs}/${r.expectedDocs} docs, steady ${si(r.steadyDocsPerSec)}/s, wall ${si(r.wallDocsPerSec)}/s` +
            (r.error ? ` (${r.error})` : ''),
        );
        runs[side].push(r);
      }
    }
    const b: BacklogResult = { preloaded };
    const tf = runs.tracefold;
    const zk = runs.zipkin;
    if (tf.length > 0) b.tracefold = sideSummary(tf);
    if (zk.length > 0) b.zipkin = sideSummary(zk);
    if (tf.length > 0 && tf.length === zk.length) {
      const paired = (f: (r: SideRun) => number) => pairedSummary(tf.map(f), zk.map(f));
      const steady = paired((r) => r.steadyDocsPerSec);
      const wall = paired((r) => r.wallDocsPerSec);
      const active = paired((r) => r.activeDocsPerSec);
      if (steady) b.steadyRatio = steady;
      if (wall) b.wallRatio = wall;
      if (active) b.activeRatio = active;
    }
    if (replays.length > 0) {
      b.replay = summarizeReplay(replays);
      const vs = replayRatios(replays, tf);
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
  return {
    topic: { partitions: p.partitions, encoding: o.encoding, spansPerMessage: o.spansPerMessage },
    workers: o.workersMax,
    zipkinHeap: o.zipkinHeap,
    cli: cliCommand().label,
    sides: selected,
    backlogs,
    latency,
    latencyQuietMs: 5000,
    sampling: 'see the pipeline phase (CPU) and the sampling phase (what is stored)',
  };
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
    const per = r.pipeline.byWorkers.map((w) => `${w.workers}w: ${si(w.perWorker.median)}/s (${si(w.spansPerCpuSecond.median)} per CPU-s)`);
    goals.push({
      goal: 'pipeline without I/O ≥ 100,000 spans/s per worker',
      measured: per.join('; '),
      met: r.pipeline.byWorkers.every((w) => w.perWorker.median >= 100_000),
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
  if (r.e2e) {
    const bl = r.e2e.backlogs;
    const tfLost = Math.max(0, ...bl.map((b) => b.tracefold?.lostDocsMax ?? 0));
    const tfComplete = bl.every((b) => b.tracefold === undefined || b.tracefold.allComplete);
    const ran = bl.filter((b) => b.tracefold);
    // Throughput is compared on the largest backlog Zipkin completed; where it died, its rate while
    // it still made progress is shown too, but a crash is not a throughput.
    const fair = bl.find((b) => b.tracefold && b.zipkin?.allComplete);
    const parts = bl
      .filter((b) => b.tracefold && b.zipkin)
      .map((b) => {
        const zk = b.zipkin as SideSummary;
        const x = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? 'n/a' : `${n.toFixed(2)}×`);
        const head = `${si(b.preloaded.spans)} spans: steady ${x(b.steadyRatio?.median)}, wall ${x(b.wallRatio?.median)}`;
        return zk.allComplete ? head : `${head}; Zipkin lost ${zk.lostDocsMax} (${(zk.errors[0] ?? 'stalled').replace(/^run \d+: /, '')})`;
      });
    if (parts.length > 0) {
      goals.push({
        goal: 'Kafka → OpenSearch ≥ 2× Zipkin throughput with zero loss',
        measured: `${parts.join('; ')}; tracefold lost ${tfLost} docs in all runs`,
        met: fair ? tfLost === 0 && tfComplete && (fair.steadyRatio?.median ?? fair.wallRatio?.median ?? 0) >= 2 : null,
      });
    } else if (ran.length > 0) {
      goals.push({
        goal: 'Kafka → OpenSearch with zero loss (Zipkin side not run)',
        measured: `lost ${tfLost} docs`,
        met: tfLost === 0 && tfComplete,
      });
    }
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
        `(document ${probe.entryChars.toFixed(0)} chars; from empty: ${probe.rssBytesPerSpanFromStart?.median.toFixed(0) ?? '–'} B RSS)`,
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
    if (has('memory')) {
      await phase('memory (bytes per buffered span)', async () => {
        results.memory = { ...results.memory, probes: await runProbes(memoryOptions) };
      });
    }
    const needServers = has('e2e') || has('zipkin') || has('replay') || has('sampling') || has('memory') || has('ship');
    if (needServers) {
      let serversOk = false;
      await phase('servers', async () => {
        say('servers: ensuring Kafka and OpenSearch (reused when running)');
        await resources.ensure(['kafka', 'opensearch']);
        results.machine.opensearch = await openSearchVersion();
        serversOk = true;
      });
      if (serversOk && (has('e2e') || has('zipkin') || has('replay'))) {
        await phase('e2e', async () => {
          const sides = { tracefold: has('e2e'), zipkin: has('zipkin'), replay: has('replay') };
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
