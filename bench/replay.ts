/**
 * The replay side of the end-to-end phase (#5: "replay throughput ≥ ingest throughput"): the pure
 * part. `tracefold replay --from earliest --to latest` over the topic the ingest side reads, into a
 * fresh index prefix, timed from process start to exit; the I/O is `replayRun` in e2e.ts.
 *
 * Replay exits by itself once every record of its ranges is written (or non-zero when something
 * was not), so its wall clock ends at exit. Ingest never exits: its wall clock ends when the last
 * document is searchable. Both rates are also taken the same way from `_count` polls (steady
 * 10 %→90 %, and first → last new document), which is the like-for-like comparison.
 */
import type { SideRun } from './e2e.js';
import type { Goal } from './report.js';
import { activeRate, type CountPoint, pairedSummary, rateBetween, type Summary, si, steadyWindow, summarize } from './stats.js';

/** What the bench reads from replay's `--json` summary (src/replay/summary.ts). */
export interface ReplayReport {
  spans: number;
  written: number;
  deadLettered: number;
  unresolvedMessages: number;
  durationMs: number;
  ok: boolean;
}

/**
 * The summary line replay prints on stdout with `--json` (its logs go to stderr, but the bench
 * sends both to one log file, so this takes the last line that parses as a summary).
 */
export function parseReplayReport(stdout: string): ReplayReport | undefined {
  const lines = stdout.split('\n').reverse();
  for (const line of lines) {
    const l = line.trim();
    if (!l.startsWith('{')) continue;
    let v: unknown;
    try {
      v = JSON.parse(l);
    } catch {
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    const o = v as Record<string, unknown>;
    const n = (k: string): number | undefined => (typeof o[k] === 'number' ? (o[k] as number) : undefined);
    const spans = n('spans');
    const written = n('written');
    const deadLettered = n('deadLettered');
    const unresolvedMessages = n('unresolvedMessages');
    const durationMs = n('durationMs');
    if (
      spans === undefined ||
      written === undefined ||
      deadLettered === undefined ||
      unresolvedMessages === undefined ||
      durationMs === undefined ||
      typeof o.ok !== 'boolean'
    ) {
      continue;
    }
    return { spans, written, deadLettered, unresolvedMessages, durationMs, ok: o.ok };
  }
  return undefined;
}

export interface ReplayRun {
  run: number;
  expectedDocs: number;
  /** `_count` of the fresh index prefix after the process exited (refreshed first). */
  indexedDocs: number;
  /** Expected documents missing after exit. */
  lostDocs: number;
  /** Exited 0, its own summary says ok, and the index holds exactly the expected documents. */
  complete: boolean;
  exitCode: number | null;
  /** Its own `--json` summary, when it printed one. */
  report?: ReplayReport;
  /** Process start → first document searchable. */
  startupSeconds: number;
  /** Process start → first poll that saw the final count (may be the refreshed count after exit). */
  lastDocSeconds: number;
  /** Process start → exit. */
  wallSeconds: number;
  /** Indexed documents / (process start → exit). */
  wallDocsPerSec: number;
  steadyDocsPerSec: number;
  activeDocsPerSec: number;
  peakRssBytes: number;
  error?: string;
}

/** A poll during a replay run; the last one is the refreshed count after exit. */
export interface ReplayPoint extends CountPoint {
  hwmBytes?: number | undefined;
}

export interface ReplayOutcome {
  /** Process start → exit, seconds. */
  exitSeconds: number;
  exitCode: number | null;
  report: ReplayReport | undefined;
  /** Why the run was cut short by the bench (stall, no start), if it was. */
  error?: string | undefined;
}

/** One run's figures from its `_count` polls and how the process ended. */
export function summarizeReplayRun(run: number, points: readonly ReplayPoint[], expected: number, out: ReplayOutcome): ReplayRun {
  const indexed = points[points.length - 1]?.count ?? 0;
  const first = points.find((p) => p.count > 0);
  const last = points.find((p) => p.count >= indexed);
  const hwm = points.reduce((m, p) => Math.max(m, p.hwmBytes ?? 0), 0);
  const problems: string[] = [];
  if (out.error !== undefined) problems.push(out.error);
  if (out.exitCode !== 0) problems.push(`replay exited with ${out.exitCode}`);
  if (out.report === undefined) problems.push('no --json summary on stdout');
  else if (!out.report.ok) problems.push(`its summary says not ok (${out.report.unresolvedMessages} records unresolved)`);
  if (indexed !== expected) problems.push(`${indexed} of ${expected} documents in the index after exit`);
  const r: ReplayRun = {
    run,
    expectedDocs: expected,
    indexedDocs: indexed,
    lostDocs: Math.max(0, expected - indexed),
    complete: problems.length === 0,
    exitCode: out.exitCode,
    startupSeconds: first?.t ?? Number.NaN,
    lastDocSeconds: indexed > 0 && last ? last.t : Number.NaN,
    wallSeconds: out.exitSeconds,
    wallDocsPerSec: indexed / out.exitSeconds,
    steadyDocsPerSec: rateBetween(steadyWindow(points, expected)),
    activeDocsPerSec: activeRate(points),
    peakRssBytes: hwm > 0 ? hwm : Number.NaN,
  };
  if (out.report !== undefined) r.report = out.report;
  if (problems.length > 0) r.error = problems.join('; ');
  return r;
}

export interface ReplaySideSummary {
  runs: ReplayRun[];
  wallDocsPerSec: Summary;
  steadyDocsPerSec: Summary;
  activeDocsPerSec: Summary;
  startupSeconds: Summary;
  lastDocSeconds: Summary;
  wallSeconds: Summary;
  peakRssBytes: Summary;
  lostDocsMax: number;
  errors: string[];
  allComplete: boolean;
}

const NO_FIGURE: Summary = { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0, spreadPct: 0 };

function summaryOf(xs: readonly number[]): Summary {
  const ok = xs.filter((x) => Number.isFinite(x));
  return ok.length === 0 ? NO_FIGURE : summarize(ok);
}

export function summarizeReplay(runs: ReplayRun[]): ReplaySideSummary {
  const s = (f: (r: ReplayRun) => number): Summary => summaryOf(runs.map(f));
  return {
    runs,
    wallDocsPerSec: s((r) => r.wallDocsPerSec),
    steadyDocsPerSec: s((r) => r.steadyDocsPerSec),
    activeDocsPerSec: s((r) => r.activeDocsPerSec),
    startupSeconds: s((r) => r.startupSeconds),
    lastDocSeconds: s((r) => r.lastDocSeconds),
    wallSeconds: s((r) => r.wallSeconds),
    peakRssBytes: s((r) => r.peakRssBytes),
    lostDocsMax: Math.max(0, ...runs.map((r) => r.lostDocs)),
    errors: runs.flatMap((r) => (r.error ? [`run ${r.run}: ${r.error}`] : [])),
    allComplete: runs.length > 0 && runs.every((r) => r.complete),
  };
}

/** replay / ingest, paired by round: each figure against the same-named ingest figure. */
export interface ReplayRatios {
  /** Replay start → exit against ingest start → last document searchable. */
  wall?: Summary;
  steady?: Summary;
  active?: Summary;
}

/** Pairs replay and ingest runs of the same round (by run number); undefined when no round has both. */
export function replayRatios(replay: readonly ReplayRun[], ingest: readonly SideRun[]): ReplayRatios | undefined {
  const pairs = replay.flatMap((r) => {
    const i = ingest.find((x) => x.run === r.run);
    return i === undefined ? [] : [{ r, i }];
  });
  if (pairs.length === 0) return undefined;
  const out: ReplayRatios = {};
  const put = (key: keyof ReplayRatios, fr: (r: ReplayRun) => number, fi: (i: SideRun) => number): void => {
    const s = pairedSummary(
      pairs.map((p) => fr(p.r)),
      pairs.map((p) => fi(p.i)),
    );
    if (s) out[key] = s;
  };
  put(
    'wall',
    (r) => r.wallDocsPerSec,
    (i) => i.wallDocsPerSec,
  );
  put(
    'steady',
    (r) => r.steadyDocsPerSec,
    (i) => i.steadyDocsPerSec,
  );
  put(
    'active',
    (r) => r.activeDocsPerSec,
    (i) => i.activeDocsPerSec,
  );
  return out;
}

/** What the goal needs of one pre-loaded backlog. */
export interface ReplayBacklog {
  preloaded: { spans: number };
  replay?: ReplaySideSummary;
  replayRatio?: ReplayRatios;
}

const times = (s: Summary | undefined): string =>
  s === undefined || !Number.isFinite(s.median)
    ? 'n/a'
    : s.n > 1 && s.min !== s.max
      ? `${s.median.toFixed(2)}× (${s.min.toFixed(2)}–${s.max.toFixed(2)})`
      : `${s.median.toFixed(2)}×`;

/**
 * The #5 goal row. Decided on the wall figure (process start → exit for replay, start → last
 * document searchable for ingest), the one a user waits for, and only when every replay run was
 * verified complete; the steady and while-progressing ratios are shown beside it.
 */
export function replayGoal(backlogs: readonly ReplayBacklog[]): Goal | undefined {
  const ran = backlogs.filter((b) => b.replay !== undefined);
  if (ran.length === 0) return undefined;
  const goal = 'replay throughput ≥ ingest throughput (#5)';
  const lost = Math.max(0, ...ran.map((b) => b.replay?.lostDocsMax ?? 0));
  const complete = ran.every((b) => b.replay?.allComplete);
  const verified = complete ? 'every replay run verified (exit 0, index count = expected)' : `replay runs incomplete, lost ≤ ${lost} docs`;
  const compared = ran.filter((b) => b.replayRatio?.wall !== undefined);
  if (compared.length === 0) {
    return { goal, measured: `not compared: the ingest side did not run (add e2e to --only); ${verified}`, met: null };
  }
  const parts = compared.map(
    (b) =>
      `${si(b.preloaded.spans)} spans: wall ${times(b.replayRatio?.wall)}, steady ${times(b.replayRatio?.steady)}, ` +
      `while progressing ${times(b.replayRatio?.active)}`,
  );
  return {
    goal,
    measured: `replay / ingest, paired per round: ${parts.join('; ')}; ${verified}`,
    met: complete && compared.every((b) => (b.replayRatio?.wall?.median ?? 0) >= 1),
  };
}
