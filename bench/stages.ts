/**
 * The two-stage topology without I/O (issue #13), in one run beside the single-process pipeline:
 *  - single: raw messages (a few spans each, traces spread over partitions), any worker decodes any
 *    batch and forwards the spans it does not own to their trace's worker;
 *  - rekey (stage 1): the same raw messages, decoded, checked, filtered and re-encoded as one keyed
 *    Proto3 record per trace and batch (the keyed produce counts as acknowledged on arrival);
 *  - assemble (stage 2): the keyed topic stage 1 makes of the same traces (each trace one Proto3
 *    record, in the partition of its trace key), each partition on one fixed worker: no forwarding.
 * Each for 1 and 2 workers on the real worker pool (`pipelineRun`, null sink), so stage 2's scaling
 * from 1 to 2 workers is measured next to the single-process pipeline's, and the CPU a span costs
 * through both stages next to its cost in one process.
 */
import { encodeProto3 } from '../core/codec/encode/proto3.js';
import { ENCODERS } from '../core/codec/formats.js';
import type { Span, ZipkinEncoding } from '../core/model/span.js';
import { shardOf } from '../workers/assemble/shard.js';
import type { WorkerSettings } from '../workers/protocol.js';
import { type PipelineRun, pipelineRun } from './pipeline.js';
import { pairedRatios, type Summary, si, summarize } from './stats.js';
import { type BaseTrace, type Messages, type PreBatch, TraceGen, toBatches } from './traffic.js';

export type StageMode = 'single' | 'rekey' | 'assemble';

export interface StageFigures {
  mode: StageMode;
  workers: number;
  spansPerSec: Summary;
  cpuMicrosPerSpan: Summary;
  forwardedFraction: number;
  /** Paired per round against the same mode with 1 worker (absent for 1 worker). */
  speedup?: Summary;
  /**
   * What the CPU cost allows when the cores are free: workers × CPU per span at 1 worker / CPU per
   * span here. Independent of other load on a shared machine, unlike the wall-clock speedup.
   */
  cpuBoundSpeedup: number;
  /** Cores' worth of time the run's threads waited, runnable, for a CPU (other load). */
  runQueueCores: number;
  /** CPU µs per span by thread (medians): coordinator, worker threads, V8 helper threads (GC, compiler). */
  cpuByThread: { coordinator: number; workers: number; helpers: number };
}

export interface StagesResult {
  spans: number;
  traces: number;
  partitions: number;
  encoding: ZipkinEncoding;
  spansPerMessage: number;
  runs: number;
  figures: StageFigures[];
  /** Spans per CPU-second through one process, and through stage 1 then stage 2 (1 worker each). */
  singleSpansPerCpuSecond: number;
  twoStageSpansPerCpuSecond: number;
  /** Both stages sharing this machine's cores at 2 workers each: 1 / (1/rekey + 1/assemble). */
  twoStageSpansPerSec: number;
}

export interface StagesOptions {
  spans: number;
  warmupSpans: number;
  runs: number;
  partitions: number;
  encoding: ZipkinEncoding;
  spansPerMessage: number;
  /** Worker settings of `tracefold ingest` (null sink, short quiet window). */
  settings: WorkerSettings;
  progress: (line: string) => void;
}

function traces(gen: TraceGen, spans: number): Span[][] {
  const out: Span[][] = [];
  const target = gen.spans + spans;
  while (gen.spans < target) out.push(gen.trace());
  return out;
}

/** Raw topic: `perMessage` spans per record, whole traces back to back (what reporters send). */
function rawMessages(ts: readonly Span[][], encoding: ZipkinEncoding, perMessage: number): Messages {
  const encode = ENCODERS[encoding];
  const values: Uint8Array[] = [];
  const counts: number[] = [];
  let spans = 0;
  let bytes = 0;
  const all = ts.flat();
  for (let i = 0; i < all.length; i += perMessage) {
    const chunk = all.slice(i, i + perMessage);
    const v = encode(chunk);
    values.push(v);
    counts.push(chunk.length);
    spans += chunk.length;
    bytes += v.length;
  }
  return { values, counts, spans, bytes };
}

/**
 * The keyed topic: one Proto3 record per trace in its key's partition, batched per partition like
 * the source (≤ 500 records / 1 MiB), batches of the partitions interleaved as a consumer gets them.
 */
export function keyedBatches(ts: readonly Span[][], partitions: number, maxMessages = 500, maxBytes = 2 ** 20): PreBatch[] {
  const byPartition: Array<{ values: Uint8Array[]; counts: number[] }> = Array.from({ length: partitions }, () => ({
    values: [],
    counts: [],
  }));
  for (const t of ts) {
    const p = byPartition[shardOf(t[0]?.traceId ?? '', partitions)] as { values: Uint8Array[]; counts: number[] };
    p.values.push(encodeProto3(t));
    p.counts.push(t.length);
  }
  const perPartition = byPartition.map((p, partition) =>
    toBatches({ values: p.values, counts: p.counts, spans: 0, bytes: 0 }, 1, [], maxMessages, maxBytes).map((b) => ({ ...b, partition })),
  );
  const out: PreBatch[] = [];
  for (let i = 0; perPartition.some((l) => i < l.length); i++) for (const l of perPartition) if (i < l.length) out.push(l[i] as PreBatch);
  return out;
}

export async function runStages(bases: readonly BaseTrace[], o: StagesOptions): Promise<StagesResult> {
  const nowMicros = Date.now() * 1000;
  const gen = new TraceGen(bases, { seed: 7, startMicros: () => nowMicros });
  const warm = traces(gen, o.warmupSpans);
  const timed = traces(gen, o.spans);
  const spans = timed.reduce((n, t) => n + t.length, 0);
  o.progress(
    `stages: ${timed.length} traces, ${spans} spans; raw ${o.encoding} (${o.spansPerMessage}/message) and keyed Proto3, ${o.partitions} partitions`,
  );
  const raw = (ts: Span[][]) => toBatches(rawMessages(ts, o.encoding, o.spansPerMessage), o.partitions, []);
  const input: Record<StageMode, { warm: PreBatch[]; timed: PreBatch[] }> = {
    single: { warm: raw(warm), timed: raw(timed) },
    rekey: { warm: raw(warm), timed: raw(timed) },
    assemble: { warm: keyedBatches(warm, o.partitions), timed: keyedBatches(timed, o.partitions) },
  };
  const settings: Record<StageMode, WorkerSettings> = {
    single: { ...o.settings, stage: 'single' },
    rekey: { ...o.settings, stage: 'rekey' },
    assemble: { ...o.settings, stage: 'assemble' },
  };
  const configs: Array<[StageMode, number]> = [
    ['single', 1],
    ['single', 2],
    ['assemble', 1],
    ['assemble', 2],
    ['rekey', 1],
    ['rekey', 2],
  ];
  const runs = new Map<string, PipelineRun[]>();
  for (let round = 0; round < o.runs; round++) {
    // Alternate the order: slow drift in machine load hits every configuration alike.
    const order = round % 2 === 0 ? configs : [...configs].reverse();
    for (const [mode, w] of order) {
      const r = await pipelineRun(w, settings[mode], input[mode].warm, input[mode].timed);
      o.progress(
        `stages: round ${round + 1}/${o.runs}, ${mode} ${w} worker(s): ${si(r.spansPerSec)} spans/s, ${r.cpuMicrosPerSpan.toFixed(1)} µs CPU/span, ${(r.forwardedFraction * 100).toFixed(0)} % forwarded`,
      );
      const k = `${mode}/${w}`;
      runs.set(k, [...(runs.get(k) ?? []), r]);
    }
  }
  const of = (mode: StageMode, w: number): PipelineRun[] => runs.get(`${mode}/${w}`) ?? [];
  const figures: StageFigures[] = configs.map(([mode, w]) => {
    const rs = of(mode, w);
    const rates = rs.map((r) => r.spansPerSec);
    const f: StageFigures = {
      mode,
      workers: w,
      spansPerSec: summarize(rates),
      cpuMicrosPerSpan: summarize(rs.map((r) => r.cpuMicrosPerSpan)),
      forwardedFraction: summarize(rs.map((r) => r.forwardedFraction)).median,
      cpuBoundSpeedup: 1,
      runQueueCores: summarize(rs.map((r) => r.runQueueCores)).median,
      cpuByThread: {
        coordinator: summarize(rs.map((r) => r.cpuByThread.coordinator)).median,
        workers: summarize(rs.map((r) => r.cpuByThread.workers)).median,
        helpers: summarize(rs.map((r) => r.cpuByThread.helpers)).median,
      },
    };
    if (w > 1)
      f.speedup = summarize(
        pairedRatios(
          rates,
          of(mode, 1).map((r) => r.spansPerSec),
        ),
      );
    return f;
  });
  const fig = (mode: StageMode, w: number) => figures.find((f) => f.mode === mode && f.workers === w) as StageFigures;
  for (const f of figures) f.cpuBoundSpeedup = (f.workers * fig(f.mode, 1).cpuMicrosPerSpan.median) / f.cpuMicrosPerSpan.median;
  return {
    spans,
    traces: timed.length,
    partitions: o.partitions,
    encoding: o.encoding,
    spansPerMessage: o.spansPerMessage,
    runs: o.runs,
    figures,
    singleSpansPerCpuSecond: 1e6 / fig('single', 1).cpuMicrosPerSpan.median,
    twoStageSpansPerCpuSecond: 1e6 / (fig('rekey', 1).cpuMicrosPerSpan.median + fig('assemble', 1).cpuMicrosPerSpan.median),
    twoStageSpansPerSec: 1 / (1 / fig('rekey', 2).spansPerSec.median + 1 / fig('assemble', 2).spansPerSec.median),
  };
}

const range = (s: Summary, f: (n: number) => string): string => `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
const x = (n: number): string => `${n.toFixed(2)}×`;

export function stagesSection(r: StagesResult): string {
  const row = (f: StageFigures): string =>
    `| ${f.mode} | ${f.workers} | ${range(f.spansPerSec, si)} | ${f.speedup ? range(f.speedup, x) : '1.00×'} | ${x(f.cpuBoundSpeedup)} | ${range(f.cpuMicrosPerSpan, (n) => n.toFixed(1))} | ${f.cpuByThread.coordinator.toFixed(1)} / ${f.cpuByThread.workers.toFixed(1)} / ${f.cpuByThread.helpers.toFixed(1)} | ${si(1e6 / f.cpuMicrosPerSpan.median)} | ${(f.forwardedFraction * 100).toFixed(0)} % | ${f.runQueueCores.toFixed(2)} |`;
  return [
    `${r.spans} spans (${r.traces} traces) per timed run, ${r.runs} rounds; single and rekey read raw ${r.encoding} messages of ${r.spansPerMessage} spans ` +
      `spread round-robin over ${r.partitions} partitions; assemble reads the keyed topic stage 1 makes of the same traces (one Proto3 record per trace, ` +
      'in its trace key’s partition), each partition on one fixed worker. Real worker pool, null sink, keyed produce acknowledged on arrival (no I/O).',
    '',
    '| mode | workers | spans/s (wall) | speedup vs 1 (wall) | speedup the CPU cost allows | CPU µs per span | of which coordinator / workers / V8 helpers | spans per CPU-second | spans forwarded | cores waited for (run queue) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...r.figures.map(row),
    '',
    `Per core: single process ${si(r.singleSpansPerCpuSecond)} spans per CPU-second; through both stages ${si(r.twoStageSpansPerCpuSecond)} ` +
      `(stage 1 + stage 2 CPU per span). Both stages sharing this machine at 2 workers each: ${si(r.twoStageSpansPerSec)} spans/s. ` +
      '"Speedup the CPU cost allows" is workers × (CPU per span with 1 worker) / (CPU per span here): what 2 free cores would give, ' +
      'whatever else the shared machine runs; the wall-clock speedup is only meaningful when "cores waited for" is near 0.',
  ].join('\n');
}
