/**
 * This checkout's worker pipeline against another checkout's, side by side in one process: the
 * "before and after" of a change, measured the way the harness's pipeline phase measures (same
 * generated traffic for both, fresh pool per run, null sink, window quiet 50 ms), with the sides'
 * order alternating per round and every ratio taken within its round (the machine is shared and
 * noisy; figures from separate runs are not comparable).
 *
 * Both sides run their compiled code (`dist/`, what `tracefold` runs): source loaded through tsx
 * is slower in ways that are tsx's (export getters on every cross-module call), not the code's.
 * The baseline is any built checkout whose `dist/bench/pipeline.js` has `pipelineRun` and
 * `defaultWorkerSettings`, e.g. a worktree of an older commit:
 *
 *   git worktree add ../before <commit> && ln -s "$PWD/node_modules" ../before/node_modules
 *   (cd ../before && npx tsc -p tsconfig.build.json)
 *   npm run build && node dist/bench/against.js --baseline ../before --workers 1,2 \
 *     --variant 'links off=--no-dependencies-enabled'
 *
 * A variant is this checkout with extra flags (a like-for-like side when the baseline lacks a stage);
 * `--baseline-flags` are given to the baseline (its own option schema decides them).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { encodingFlag, integerFlag, parseFlags, usageExit } from './flags.js';
import { PIPELINE_QUIET_MS, pipelineFlags, pipelineTraffic } from './pipeline.js';
import { formatSummary, pairedSummary, type Summary, summarize } from './stats.js';
import { loadBaseTraces, type PreBatch, repoRoot } from './traffic.js';

/** What the sides' `dist/bench/pipeline.js` must export (the harness's own API since milestone 1). */
interface PipelineModule {
  defaultWorkerSettings(flags: string[]): unknown;
  pipelineRun(
    workers: number,
    settings: unknown,
    warmup: readonly PreBatch[],
    timed: readonly PreBatch[],
  ): Promise<{ spansPerSec: number; cpuMicrosPerSpan: number }>;
}

export interface Side {
  label: string;
  /** The checkout whose compiled pipeline runs. */
  root: string;
  flags: string[];
}

export interface SideFigures {
  label: string;
  spansPerSec: number[];
  cpuMicrosPerSpan: number[];
}

/** `LABEL=FLAGS` (flags split on spaces) as a side of this checkout. */
export function parseVariant(spec: string, root: string): Side {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new Error(`--variant wants LABEL=FLAGS, e.g. 'links off=--no-dependencies-enabled'; got ${JSON.stringify(spec)}`);
  return {
    label: spec.slice(0, eq).trim(),
    root,
    flags: spec
      .slice(eq + 1)
      .trim()
      .split(/\s+/)
      .filter(Boolean),
  };
}

/** Worker counts from "1,2": positive integers, each once, in the order given. */
export function parseWorkers(list: string): number[] {
  const out = list.split(',').map((s) => Number(s.trim()));
  const bad = out.find((n) => !Number.isInteger(n) || n < 1 || n > 64);
  if (bad !== undefined || out.length === 0) throw new Error(`--workers wants a list of counts 1…64 like 1,2; got ${JSON.stringify(list)}`);
  return [...new Set(out)];
}

/** The order of the sides in round `r`: as given, then reversed, so slow drift in load hits all alike. */
export function roundOrder<T>(sides: readonly T[], r: number): T[] {
  return r % 2 === 0 ? [...sides] : [...sides].reverse();
}

/**
 * One markdown table per worker count: each side's rate and CPU per span (median and range), and
 * its rate over the baseline's (first side) taken round by round.
 */
export function report(workers: number, figures: readonly SideFigures[]): string {
  const base = figures[0] as SideFigures;
  const lines = [
    `${workers} worker(s)`,
    '',
    '| side | spans/s | CPU per span | rate / baseline (paired per round) |',
    '| --- | --- | --- | --- |',
  ];
  for (const f of figures) {
    const ratio: Summary | undefined = f === base ? undefined : pairedSummary(f.spansPerSec, base.spansPerSec);
    lines.push(
      `| ${f.label} | ${formatSummary(summarize(f.spansPerSec))} | ${formatSummary(summarize(f.cpuMicrosPerSpan), (n) => `${n.toFixed(2)} µs`)} | ${
        ratio === undefined ? '—' : formatSummary(ratio, (n) => `${n.toFixed(2)}×`)
      } |`,
    );
  }
  return lines.join('\n');
}

/** A wrong argument or an unbuilt checkout: said in one line, without a stack. */
class UsageError extends Error {}

async function load(root: string): Promise<PipelineModule> {
  const file = join(root, 'dist', 'bench', 'pipeline.js');
  if (!existsSync(file))
    throw new UsageError(`${file} is missing: build that checkout first (cd ${root} && npx tsc -p tsconfig.build.json)`);
  const mod = (await import(pathToFileURL(file).href)) as Partial<PipelineModule>;
  if (typeof mod.pipelineRun !== 'function' || typeof mod.defaultWorkerSettings !== 'function') {
    throw new UsageError(`${file} does not export pipelineRun and defaultWorkerSettings: not a tracefold bench build`);
  }
  return mod as PipelineModule;
}

const USAGE = `Usage: node dist/bench/against.js --baseline DIR [options]

The worker pipeline without I/O of this checkout against the checkout in DIR (both built), side by
side in one process, paired per round.

  --baseline DIR          the other checkout (its dist/ built)          (required)
  --baseline-flags FLAGS  ingest flags for the baseline's settings (its own schema)
  --variant LABEL=FLAGS   also run this checkout with FLAGS (repeatable)
  --workers LIST          worker counts, e.g. 1,2                        (default 1)
  --rounds N              rounds per worker count                        (default 3)
  --spans N               timed spans per run                            (default 500000)
  --warmup N              warm-up spans per fresh pool                   (default 200000)
  --encoding E            json-v2 | json-v1 | thrift | proto3            (default json-v2)
  --json FILE             also write every run's figures as JSON
`;

const OPTIONS = {
  baseline: { type: 'string' },
  'baseline-flags': { type: 'string', default: '' },
  variant: { type: 'string', multiple: true, default: [] as string[] },
  workers: { type: 'string', default: '1' },
  rounds: { type: 'string', default: '3' },
  spans: { type: 'string', default: '500000' },
  warmup: { type: 'string', default: '200000' },
  encoding: { type: 'string', default: 'json-v2' },
  json: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

async function main(): Promise<void> {
  const values = parseFlags('against', OPTIONS, USAGE);
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const errors: string[] = [];
  if (values.baseline === undefined) errors.push('--baseline DIR is required');
  const rounds = integerFlag(errors, 'rounds', values.rounds, 1);
  const spans = integerFlag(errors, 'spans', values.spans, 1000);
  const warmupSpans = integerFlag(errors, 'warmup', values.warmup, 0);
  const encoding = encodingFlag(errors, values.encoding);
  let workerCounts: number[] = [];
  let variants: Side[] = [];
  const root = repoRoot();
  try {
    workerCounts = parseWorkers(values.workers);
    variants = values.variant.map((v) => parseVariant(v, root));
  } catch (err) {
    errors.push((err as Error).message);
  }
  if (errors.length > 0) usageExit('against', errors, USAGE);
  const baselineRoot = resolve(values.baseline as string);
  const sides: Side[] = [
    { label: `baseline (${baselineRoot})`, root: baselineRoot, flags: values['baseline-flags'].split(/\s+/).filter(Boolean) },
    { label: 'this checkout', root, flags: [] },
    ...variants,
  ];
  const modules = new Map<string, PipelineModule>();
  for (const s of sides) if (!modules.has(s.root)) modules.set(s.root, await load(s.root));
  const settings = sides.map((s) =>
    (modules.get(s.root) as PipelineModule).defaultWorkerSettings(pipelineFlags(PIPELINE_QUIET_MS, s.flags)),
  );

  const { warmup, timed } = pipelineTraffic(loadBaseTraces(), encoding, 10, warmupSpans, spans);

  const all: Record<number, SideFigures[]> = {};
  for (const w of workerCounts) {
    const figures: SideFigures[] = sides.map((s) => ({ label: s.label, spansPerSec: [], cpuMicrosPerSpan: [] }));
    for (let r = 0; r < rounds; r++) {
      for (const i of roundOrder(
        sides.map((_, i) => i),
        r,
      )) {
        const side = sides[i] as Side;
        const run = await (modules.get(side.root) as PipelineModule).pipelineRun(w, settings[i], warmup, timed);
        const f = figures[i] as SideFigures;
        f.spansPerSec.push(run.spansPerSec);
        f.cpuMicrosPerSpan.push(run.cpuMicrosPerSpan);
        process.stderr.write(
          `against: ${w} worker(s), round ${r + 1}/${rounds}, ${side.label}: ${Math.round(run.spansPerSec)} spans/s, ${run.cpuMicrosPerSpan.toFixed(2)} µs CPU/span\n`,
        );
      }
    }
    all[w] = figures;
    process.stdout.write(`${report(w, figures)}\n\n`);
  }
  if (values.json !== undefined)
    writeFileSync(
      values.json,
      `${JSON.stringify({ at: new Date().toISOString(), spans, warmupSpans, rounds, sides, runs: all }, null, 2)}\n`,
    );
}

// Imported by the unit tests for its pure helpers; run as a script otherwise.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    process.stderr.write(`against: ${err instanceof UsageError ? err.message : ((err as Error).stack ?? String(err))}\n`);
    process.exit(err instanceof UsageError ? 2 : 1);
  });
}
