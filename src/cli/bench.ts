/**
 * `tracefold bench`: argument parsing and validation only; the harness itself lives in bench/
 * (loaded on demand, so the other commands never pay for it).
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { ENCODERS, isEncoding } from '../../core/codec/formats.js';
import type { ZipkinEncoding } from '../../core/model/span.js';
import { parseCommandArgs, runCli } from './io.js';
import type { Command } from './main.js';

const PHASE_NAMES = ['micro', 'pipeline', 'e2e', 'zipkin', 'replay', 'memory'] as const;
type PhaseName = (typeof PHASE_NAMES)[number];

const HELP = `Usage: tracefold bench [options]

Measures every speed and memory claim in one run on this machine, and writes the results to
bench/results/ (latest.md, latest.json, timestamped copies, PNG charts). Progress on stderr,
tables on stdout. Figures are medians over several runs with their min–max range.

Phases (all by default, in this order):
  micro      each hot-path stage alone (tinybench): decode per encoding, normalise, shard hash,
             windows, ES document + NDJSON, with JSON.parse/JSON.stringify reference lines
  pipeline   the real worker pool with a null sink, 1…N workers: spans/s and scaling
  memory     bytes per buffered span; peak RSS under a 1× and 10× burst against a slowed
             search engine (the burst needs Kafka and OpenSearch)
  e2e        a pre-loaded Kafka topic through \`tracefold ingest\` into OpenSearch: throughput,
             latency, peak RSS, CPU per span
  zipkin     the same topic through the stock Zipkin server's Kafka collector, side by side
  replay     the same topic through \`tracefold replay --from earliest --to latest\` into a fresh
             index, in the same rounds: docs/s from process start to exit, every document
             checked; replay / ingest ratio per round (the ratio needs e2e too)

Kafka and OpenSearch are reused when running, else started through infra/ (and stopped again);
Zipkin instances get ports 9420+. Topics, indices, templates and pipelines the bench creates are
deleted at the end.

Options:
      --quick                 smaller sizes, fewer runs (a few minutes)
      --only LIST             comma-separated phases, e.g. --only micro,pipeline (no servers)
      --spans N               spans pre-loaded for e2e/zipkin/replay (default: two backlogs,
                              1000000 and 100000, the size the stock Zipkin survives;
                              quick 100000)
      --encoding E            json-v2 | json-v1 | thrift | proto3 for pipeline, e2e, zipkin,
                              replay and the burst (default json-v2)
      --spans-per-message N   spans per Kafka message (default 10)
      --runs K                runs per figure (default: micro 5, pipeline 3, e2e/zipkin/replay 3;
                              quick 3/3/2)
      --workers-max N         pipeline runs 1…N workers; e2e uses N (default: cores, ${availableParallelism()} here)
      --zipkin-heap SIZE      JVM heap of the Zipkin peer, e.g. 2g (default 512m, as infra/ runs it)
      --out DIR               results folder (default bench/results)
      --update-readme         replace the README's "Benchmarks" section with this run's tables
  -h, --help                  show this help

Exit codes: 0 every phase ran (goals may still be unmet: see the Goals table); 1 a phase failed;
2 usage error.
`;

function positiveInt(name: string, raw: string | undefined, errors: string[]): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) {
    errors.push(`--${name} must be a positive integer, got ${JSON.stringify(raw)}`);
    return undefined;
  }
  return n;
}

export const command: Command = {
  summary: 'run the benchmark harness',
  run: (argv) =>
    runCli(async () => {
      const { values, positionals } = parseCommandArgs(
        argv,
        {
          quick: { type: 'boolean' },
          only: { type: 'string' },
          spans: { type: 'string' },
          encoding: { type: 'string', default: 'json-v2' },
          'spans-per-message': { type: 'string', default: '10' },
          runs: { type: 'string' },
          'workers-max': { type: 'string' },
          'zipkin-heap': { type: 'string', default: '512m' },
          out: { type: 'string' },
          'update-readme': { type: 'boolean' },
          help: { type: 'boolean', short: 'h' },
        },
        'bench',
      );
      if (values.help) {
        process.stdout.write(HELP);
        return 0;
      }
      const errors: string[] = [];
      if (positionals.length > 0) errors.push(`unexpected argument ${JSON.stringify(positionals[0])}`);
      let only: PhaseName[] = [...PHASE_NAMES];
      if (values.only !== undefined) {
        const names = values.only
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '');
        const unknown = names.filter((n) => !(PHASE_NAMES as readonly string[]).includes(n));
        if (unknown.length > 0) errors.push(`--only: unknown phase(s) ${unknown.join(', ')} (known: ${PHASE_NAMES.join(', ')})`);
        if (names.length === 0) errors.push('--only needs at least one phase');
        // Keep the harness's own order whatever order was given.
        only = PHASE_NAMES.filter((n) => names.includes(n));
      }
      if (!isEncoding(values.encoding)) errors.push(`--encoding must be one of ${Object.keys(ENCODERS).join(', ')}`);
      const spans = positiveInt('spans', values.spans, errors);
      const spansPerMessage = positiveInt('spans-per-message', values['spans-per-message'], errors);
      const runs = positiveInt('runs', values.runs, errors);
      const workersMax = positiveInt('workers-max', values['workers-max'], errors);
      if (workersMax !== undefined && workersMax > 64) errors.push('--workers-max must be at most 64');
      const zipkinHeap = values['zipkin-heap'] ?? '512m';
      if (!/^[1-9]\d*[mg]$/.test(zipkinHeap)) errors.push(`--zipkin-heap must look like 512m or 2g, got ${JSON.stringify(zipkinHeap)}`);
      if (errors.length > 0) {
        for (const e of errors) process.stderr.write(`tracefold bench: ${e}\n`);
        process.stderr.write('(see `tracefold bench --help`)\n');
        return 2;
      }
      const { runBench } = await import('../../bench/run.js');
      const { repoRoot } = await import('../../bench/traffic.js');
      return runBench({
        quick: values.quick === true,
        only,
        ...(spans !== undefined ? { spans } : {}),
        encoding: values.encoding as ZipkinEncoding,
        spansPerMessage: spansPerMessage ?? 10,
        ...(runs !== undefined ? { runs } : {}),
        workersMax: workersMax ?? availableParallelism(),
        zipkinHeap,
        outDir: resolve(values.out ?? resolve(repoRoot(), 'bench', 'results')),
        updateReadme: values['update-readme'] === true,
        command: ['tracefold bench', ...argv].join(' '),
      });
    }),
};
