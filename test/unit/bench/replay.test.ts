import assert from 'node:assert/strict';
import { test } from 'node:test';
import { replayArgs, type SideRun, tracefoldArgs } from '../../../bench/e2e.js';
import {
  parseReplayReport,
  type ReplayPoint,
  type ReplayRun,
  replayGoal,
  replayRatios,
  summarizeReplay,
  summarizeReplayRun,
} from '../../../bench/replay.js';
import { replayTable } from '../../../bench/report.js';
import { activeRate, pairedSummary, rateBetween, steadyWindow } from '../../../bench/stats.js';
import { loadConfig } from '../../../src/config/load.js';

const report = { spans: 1000, written: 1000, deadLettered: 0, unresolvedMessages: 0, durationMs: 9000, ok: true };

/** 0 docs until 2 s, then 100 docs/s up to 1000 at 12 s; the last point is the refreshed count after exit. */
function points(final = 1000): ReplayPoint[] {
  const out: ReplayPoint[] = [{ t: 1, count: 0, hwmBytes: 50 }];
  for (let t = 2; t <= 12; t++) out.push({ t, count: Math.min(final, (t - 2) * 100), hwmBytes: 100 + t });
  out.push({ t: 13.5, count: final });
  return out;
}

function ingestRun(run: number, wall: number, steady: number, active: number): SideRun {
  return {
    side: 'tracefold',
    run,
    expectedDocs: 1000,
    indexedDocs: 1000,
    lostDocs: 0,
    complete: true,
    drainSeconds: 1000 / wall - 1,
    drainDocsPerSec: 1000 / (1000 / wall - 1),
    consumeStartSeconds: 1,
    startupSeconds: 6,
    wallSeconds: 1000 / wall,
    wallDocsPerSec: wall,
    steadyDocsPerSec: steady,
    peakRssBytes: 1,
    cpuMicrosPerDoc: 1,
    workCpuMicrosPerDoc: 1,
    engineCpuMicrosPerDoc: Number.NaN,
    selfReportedDropped: 0,
    steadyRunQueueCores: 0,
    activeDocsPerSec: active,
  };
}

test('steady window: first polls at 10 % and 90 %, none when they coincide', () => {
  const ps = points();
  const w = steadyWindow(ps, 1000);
  assert.deepEqual([w?.a.t, w?.b.t], [3, 11]);
  assert.equal(rateBetween(w), 100);
  assert.equal(steadyWindow([{ t: 1, count: 1000 }], 1000), undefined);
  assert.ok(Number.isNaN(rateBetween(undefined)));
});

test('active rate runs from the first document to the first poll with the final count', () => {
  assert.equal(activeRate(points()), (1000 - 100) / (12 - 3));
  assert.ok(Number.isNaN(activeRate([{ t: 1, count: 0 }])));
  assert.ok(Number.isNaN(activeRate([])));
});

test('paired summary drops pairs without a figure', () => {
  assert.deepEqual(pairedSummary([2, Number.NaN, 6], [1, 1, 2]), { median: 2.5, min: 2, max: 3, n: 2, spreadPct: 40 });
  assert.equal(pairedSummary([Number.NaN], [1]), undefined);
});

test('parseReplayReport takes the summary line, not log lines around it', () => {
  const log = [
    '{"level":30,"msg":"replay plan","ranges":["0:[0,10)"]}',
    JSON.stringify({ topic: 't', ...report, traces: 3, partitions: [0] }),
    '{"level":30,"msg":"stopped"}',
    '',
  ].join('\n');
  assert.deepEqual(parseReplayReport(log), report);
  assert.equal(parseReplayReport('{"level":30}\nnot json {\n'), undefined);
  assert.equal(parseReplayReport(''), undefined);
});

test('a replay run is complete only with exit 0, an ok summary and exactly the expected documents', () => {
  const ok = summarizeReplayRun(1, points(), 1000, { exitSeconds: 12.5, exitCode: 0, report });
  assert.equal(ok.complete, true);
  assert.equal(ok.error, undefined);
  assert.equal(ok.indexedDocs, 1000);
  assert.equal(ok.wallSeconds, 12.5);
  assert.equal(ok.wallDocsPerSec, 80);
  assert.equal(ok.steadyDocsPerSec, 100);
  assert.equal(ok.startupSeconds, 3);
  assert.equal(ok.lastDocSeconds, 12);
  assert.equal(ok.peakRssBytes, 112);

  const short = summarizeReplayRun(2, points(900), 1000, { exitSeconds: 12.5, exitCode: 0, report });
  assert.equal(short.complete, false);
  assert.equal(short.lostDocs, 100);
  assert.match(short.error ?? '', /900 of 1000 documents/);

  const failed = summarizeReplayRun(3, points(), 1000, { exitSeconds: 12.5, exitCode: 1, report: { ...report, ok: false } });
  assert.equal(failed.complete, false);
  assert.match(failed.error ?? '', /exited with 1.*not ok/);

  const silent = summarizeReplayRun(4, points(), 1000, { exitSeconds: 12.5, exitCode: 0, report: undefined });
  assert.match(silent.error ?? '', /no --json summary/);

  const extra = summarizeReplayRun(5, points(1001), 1000, { exitSeconds: 12.5, exitCode: 0, report });
  assert.equal(extra.complete, false, 'more documents than produced is wrong too');

  const stuck = summarizeReplayRun(6, points(), 1000, { exitSeconds: 40, exitCode: -1, report: undefined, error: 'no progress' });
  assert.match(stuck.error ?? '', /^no progress; replay exited with -1/);
});

test('replay ratios pair runs of the same round against the same-named ingest figure', () => {
  const rp = [1, 2, 3].map((run) => summarizeReplayRun(run, points(), 1000, { exitSeconds: 10 / run, exitCode: 0, report }));
  // Round 3's ingest run is missing: that replay run has no partner.
  const ing = [ingestRun(2, 100, 50, 200), ingestRun(1, 50, 100, 100)];
  const r = replayRatios(rp, ing);
  // wall: replay 100 and 200 docs/s against 50 and 100.
  assert.deepEqual(r?.wall, { median: 2, min: 2, max: 2, n: 2, spreadPct: 0 });
  assert.deepEqual(r?.steady, { median: 1.5, min: 1, max: 2, n: 2, spreadPct: (1 / 1.5) * 100 });
  assert.equal(r?.active?.n, 2);
  assert.equal(replayRatios(rp, []), undefined);
});

test('replay summary collects failures and keeps figures of the runs that have them', () => {
  const good = summarizeReplayRun(1, points(), 1000, { exitSeconds: 12.5, exitCode: 0, report });
  const bad = summarizeReplayRun(2, points(500), 1000, { exitSeconds: 30, exitCode: 1, report: undefined });
  const s = summarizeReplay([good, bad]);
  assert.equal(s.allComplete, false);
  assert.equal(s.lostDocsMax, 500);
  assert.equal(s.errors.length, 1);
  assert.match(s.errors[0] ?? '', /^run 2: /);
  assert.equal(s.wallSeconds.n, 2);
  assert.equal(summarizeReplay([]).allComplete, false);
});

function backlog(wallRatios: number[], runs: ReplayRun[]) {
  const ing = wallRatios.map((_, i) => ingestRun(i + 1, 100, 100, 100));
  const rp =
    runs.length > 0
      ? runs
      : wallRatios.map((x, i) => ({
          ...summarizeReplayRun(i + 1, points(), 1000, { exitSeconds: 1, exitCode: 0, report }),
          wallDocsPerSec: 100 * x,
        }));
  const r = replayRatios(rp, ing);
  return { preloaded: { spans: 100_000 }, replay: summarizeReplay(rp), ...(r ? { replayRatio: r } : {}) };
}

test('the #5 goal is decided on the wall ratio of verified runs', () => {
  const met = replayGoal([backlog([1.1, 0.95, 1.2], [])]);
  assert.equal(met?.met, true);
  assert.match(met?.measured ?? '', /100k spans: wall 1\.10× \(0\.95–1\.20\)/);
  assert.match(met?.measured ?? '', /verified/);
  assert.equal(replayGoal([backlog([0.9, 0.95], [])])?.met, false);

  const broken = summarizeReplayRun(1, points(10), 1000, { exitSeconds: 1, exitCode: 0, report });
  const incomplete = replayGoal([backlog([5], [{ ...broken, wallDocsPerSec: 500 }])]);
  assert.equal(incomplete?.met, false, 'a fast replay that lost documents does not meet it');

  const alone = replayGoal([
    { preloaded: { spans: 1 }, replay: summarizeReplay([summarizeReplayRun(1, points(), 1000, { exitSeconds: 1, exitCode: 0, report })]) },
  ]);
  assert.equal(alone?.met, null);
  assert.match(alone?.measured ?? '', /not compared/);
  assert.equal(replayGoal([{ preloaded: { spans: 1 } }]), undefined);
});

test('the replay table shows both sides and the paired ratios', () => {
  const b = backlog([1.5, 2.5], []);
  const ing = [ingestRun(1, 100, 100, 100), ingestRun(2, 100, 100, 100)];
  const md = replayTable(
    {
      preloaded: { spans: 100_000, messages: 1, bytes: 1, expectedDocs: 1000, seconds: 1 },
      spansPerMessage: 10,
      tracefold: {
        runs: ing,
        drainDocsPerSec: { median: 100, min: 100, max: 100, n: 2, spreadPct: 0 },
        wallDocsPerSec: { median: 100, min: 100, max: 100, n: 2, spreadPct: 0 },
        steadyDocsPerSec: { median: 100, min: 100, max: 100, n: 2, spreadPct: 0 },
        consumeStartSeconds: { median: 1, min: 1, max: 1, n: 2, spreadPct: 0 },
        startupSeconds: { median: 6, min: 6, max: 6, n: 2, spreadPct: 0 },
        peakRssBytes: { median: 1, min: 1, max: 1, n: 2, spreadPct: 0 },
        cpuMicrosPerDoc: { median: 1, min: 1, max: 1, n: 2, spreadPct: 0 },
        workCpuMicrosPerDoc: { median: 1, min: 1, max: 1, n: 2, spreadPct: 0 },
        steadyRunQueueCores: { median: 0, min: 0, max: 0, n: 2, spreadPct: 0 },
        activeDocsPerSec: { median: 100, min: 100, max: 100, n: 2, spreadPct: 0 },
        lostDocsMax: 0,
        extraDocsMax: 0,
        completedRuns: 2,
        selfReportedDroppedMax: 0,
        errors: [],
        allComplete: true,
      },
      ...(b.replayRatio ? { replayRatio: b.replayRatio } : {}),
    },
    b.replay,
  );
  assert.match(md, /\| same topic, same rounds \| tracefold replay \| tracefold ingest \| replay \/ ingest \|/);
  assert.match(md, /process start → exit \| [^|]+ \| keeps running/);
  assert.match(md, /2\.00× \(1\.50×–2\.50×\)/);
  assert.match(md, /1000 = expected, every run; exit 0/);
});

test('replay runs with the settings ingest gets: same topic, sink, index cost and workers', () => {
  const ingest = loadConfig({ command: 'ingest', argv: tracefoldArgs('t1', 'bench-tf-x', 'g', 9999, 3).slice(1), env: {} });
  const replay = loadConfig({ command: 'replay', argv: replayArgs('t1', 'bench-rp-x', 3).slice(1), env: {} });
  assert.ok(ingest.ok && replay.ok, `${ingest.ok ? '' : ingest.errors}${replay.ok ? '' : replay.errors}`);
  const i = ingest.config;
  const r = replay.config;
  assert.deepEqual(r.kafka, { ...i.kafka, groupId: r.kafka.groupId });
  assert.deepEqual(r.es, { ...i.es, index: 'bench-rp-x' });
  assert.deepEqual([r.workers, r.window, r.sink, r.backpressure], [i.workers, i.window, i.sink, i.backpressure]);
  assert.equal(r.workers, 3);
  assert.equal(r.es.indexShards, 1);
  assert.equal(r.es.indexReplicas, 0);
  assert.deepEqual([r.replay.from, r.replay.to, r.replay.json, r.replay.commit], [{ kind: 'earliest' }, { kind: 'latest' }, true, false]);
});
