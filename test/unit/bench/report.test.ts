import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CeilingSummary } from '../../../bench/ceiling.js';
import { completedRatios } from '../../../bench/completion.js';
import type { SideRun } from '../../../bench/e2e.js';
import {
  type BacklogResult,
  ceilingGoal,
  engineWarmupNote,
  memorySection,
  type SideSummary,
  throughputGoal,
} from '../../../bench/report.js';
import { summarize } from '../../../bench/stats.js';

function run(side: 'tracefold' | 'zipkin', n: number, rate: number, error?: string): SideRun {
  const r: SideRun = {
    side,
    run: n,
    expectedDocs: 1000,
    indexedDocs: error ? 400 : 1000,
    lostDocs: error ? 600 : 0,
    complete: error === undefined,
    drainSeconds: 1000 / rate,
    drainDocsPerSec: rate,
    consumeStartSeconds: 1,
    startupSeconds: 2,
    wallSeconds: 1000 / rate + 1,
    wallDocsPerSec: rate / 2,
    steadyDocsPerSec: rate,
    peakRssBytes: 1,
    cpuMicrosPerDoc: 1,
    workCpuMicrosPerDoc: 1,
    engineCpuMicrosPerDoc: Number.NaN,
    selfReportedDropped: 0,
    steadyRunQueueCores: 0,
    activeDocsPerSec: rate,
  };
  if (error) r.error = error;
  return r;
}

function summary(runs: SideRun[]): SideSummary {
  const done = runs.filter((r) => r.complete);
  const s = summarize(done.length > 0 ? done.map((r) => r.drainDocsPerSec) : [0]);
  return {
    runs,
    drainDocsPerSec: s,
    wallDocsPerSec: s,
    steadyDocsPerSec: s,
    consumeStartSeconds: s,
    startupSeconds: s,
    peakRssBytes: s,
    cpuMicrosPerDoc: s,
    workCpuMicrosPerDoc: s,
    steadyRunQueueCores: s,
    activeDocsPerSec: s,
    errors: runs.flatMap((r) => (r.error ? [`run ${r.run}: ${r.error}`] : [])),
    lostDocsMax: Math.max(0, ...runs.map((r) => r.lostDocs)),
    extraDocsMax: 0,
    completedRuns: done.length,
    selfReportedDroppedMax: 0,
    allComplete: done.length === runs.length,
  };
}

function backlog(tf: SideRun[], zk: SideRun[]): BacklogResult {
  return {
    preloaded: { spans: 100_000, messages: 1, bytes: 1, expectedDocs: 1000, seconds: 1 },
    spansPerMessage: 10,
    tracefold: summary(tf),
    zipkin: [{ heap: '1g', summary: summary(zk), ratio: completedRatios(tf, zk) }],
  };
}

test('the throughput goal quotes completed rounds only, the ratio from the first record first', () => {
  const g = throughputGoal([backlog([run('tracefold', 1, 300), run('tracefold', 2, 500)], [run('zipkin', 1, 100), run('zipkin', 2, 100)])]);
  assert.ok(g);
  assert.match(g.measured, /^100k spans, 10\/msg: vs Zipkin 1g: from first record 4\.00×, progressing 4\.00×, steady 4\.00× \(2 rounds\)/);
  assert.equal(g.met, true);
});

test('a peer that never completed gives its verdict and no ratio; the goal is then unknown', () => {
  const why = 'did not complete: 400 of 1000 stored, Zipkin process exited: OutOfMemoryError';
  const g = throughputGoal([backlog([run('tracefold', 1, 300)], [run('zipkin', 1, 100, why)])]);
  assert.ok(g);
  assert.match(g.measured, /Zipkin 1g did not complete: 400 of 1000 stored, Zipkin process exited: OutOfMemoryError/);
  assert.doesNotMatch(g.measured, /×/);
  assert.equal(g.met, null);
});

test('a round where Zipkin did not complete is left out of the ratio and said so', () => {
  const g = throughputGoal([
    backlog(
      [run('tracefold', 1, 300), run('tracefold', 2, 150)],
      [run('zipkin', 1, 100), run('zipkin', 2, 10, 'did not complete: 1 of 2 stored, x')],
    ),
  ]);
  assert.match(g?.measured ?? '', /from first record 3\.00×.*\(1 round; 1 Zipkin run\(s\) did not complete\)/);
  assert.equal(g?.met, true);
});

test('tracefold not completing fails the goal', () => {
  const g = throughputGoal([backlog([run('tracefold', 1, 300, 'did not complete: 400 of 1000 stored, stalled')], [run('zipkin', 1, 100)])]);
  assert.equal(g?.met, false);
  assert.match(g?.measured ?? '', /tracefold did not complete: 400 of 1000 stored, stalled/);
});

/** A backlog with one tracefold run and a ceiling of 40k docs/s. */
function withCeiling(rest: Pick<CeilingSummary, 'fractions' | 'cpu'>): BacklogResult {
  const b = backlog([run('tracefold', 1, 300)], []);
  b.ceiling = { runs: [], docsPerSec: summarize([40_000]), connections: 2, docsPerRequest: 2000, ...rest };
  return b;
}

test('the ceiling row gives the fractions as percentages and has no target', () => {
  const b = withCeiling({ fractions: { wall: summarize([0.25]), drain: summarize([0.5]), active: summarize([0.75]) } });
  const g = ceilingGoal([b]);
  assert.equal(g?.met, null);
  assert.match(g?.measured ?? '', /ceiling 40\.0k docs\/s; tracefold wall 25 %, from first record 50 %, progressing 75 %/);
  assert.equal(ceilingGoal([backlog([], [])]), undefined);
});

test('the ceiling row adds the CPU bound when the engine runs on the same machine', () => {
  const b = withCeiling({
    fractions: { wall: summarize([0.25]) },
    cpu: {
      cores: 2,
      engineAlone: summarize([50]),
      engineWithTracefold: summarize([45]),
      tracefold: summarize([35]),
      boundFraction: summarize([0.625]),
    },
  });
  assert.match(ceilingGoal([b])?.measured ?? '', /CPU bound with the engine on the same 2 cores 63 %/);
});

test('the e2e text says how the engine was warmed up, or that it failed, or nothing when older results have no warm-up', () => {
  assert.equal(engineWarmupNote(undefined), '');
  const warm = engineWarmupNote({ docs: 100_000, runs: 3, seconds: 30, docsPerSec: [5_680, 14_700, 15_500] });
  assert.match(warm, /100000 documents a run: 5\.68k\/s, 14\.7k\/s, 15\.5k\/s/);
  const failed = engineWarmupNote({ docs: 100_000, runs: 1, seconds: 9, docsPerSec: [5_680], error: 'HTTP 503' });
  assert.match(failed, /5\.68k\/s; then it failed: HTTP 503/);
});

test('the burst section says where the memory was at its highest RSS: worker heaps, coordinator, and the rest', () => {
  const MiB = 1024 ** 2;
  const parts = (rss: number, workers: number) => ({
    rssBytes: rss * MiB,
    workerHeapTotalBytes: workers * MiB,
    workerHeapUsedBytes: (workers / 2) * MiB,
    workerExternalBytes: 20 * MiB,
    mainHeapTotalBytes: 30 * MiB,
    mainExternalBytes: 5 * MiB,
  });
  const run = (multiplier: number, withParts: boolean) => ({
    multiplier,
    spans: 1000 * multiplier,
    indexedDocs: 500,
    observedSeconds: 50,
    peakRssBytes: 460 * MiB,
    firstHalfPeakRssBytes: 400 * MiB,
    idleRssBytes: 100 * MiB,
    maxOutstandingBytes: 32 * MiB,
    maxPausedPartitions: 4,
    ...(withParts ? { firstHalfParts: parts(400, 200), peakParts: parts(455, 250) } : {}),
  });
  const limits = {
    maxOutstandingBytes: 32 * MiB,
    windowBytesPerWorker: 16 * MiB,
    bulkMaxBytes: 5 * MiB,
    bulkInFlightPerWorker: 2,
    workers: 2,
    consumerQueueBytes: 8 * MiB,
    totalBytes: 84 * MiB,
  };
  const text = memorySection({
    burst: { limits, proxy: { latencyMs: 300, bytesPerSec: 4 * MiB }, runs: [run(2, false), run(10, true)], peakRatio: 1 },
  });
  // 455 − 250 − 20 − 30 − 5 = 150 MiB outside the V8 heaps.
  assert.match(
    text,
    /\| 10× \| highest RSS \| 455\.0 MiB \| 250\.0 MiB \(125\.0 MiB\) \| 20\.0 MiB \| 30\.0 MiB \| 5\.0 MiB \| 150\.0 MiB \|/,
  );
  assert.match(text, /\| 10× \| highest RSS in the first half \| 400\.0 MiB \| 200\.0 MiB \(100\.0 MiB\) \|/);
  assert.doesNotMatch(text, /\| 2× \| highest RSS/, 'a run without heap figures has no row');
  assert.doesNotMatch(
    memorySection({ burst: { limits, proxy: { latencyMs: 300, bytesPerSec: 4 * MiB }, runs: [run(2, false)], peakRatio: 1 } }),
    /Where the memory is/,
  );
});
