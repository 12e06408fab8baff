/**
 * `tracefold bench`: options come from the schema (bench.* in src/config/schema.ts, flags --quick,
 * --only, …); the harness itself lives in bench/ (loaded on demand, so the other commands never pay
 * for it).
 */
import { resolve } from 'node:path';
import type { Phase } from '../../bench/report.js';
import type { ZipkinEncoding } from '../../core/model/span.js';
import { BENCH_PHASES, type ENCODINGS } from '../config/schema.js';
import { loadCli, runCli } from './io.js';
import type { Command } from './main.js';

// The schema's lists must stay the harness's: a phase or encoding added on one side only fails here.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const encodingsAgree: Same<(typeof ENCODINGS)[number], ZipkinEncoding> = true;
const phasesAgree: Same<(typeof BENCH_PHASES)[number], Phase> = true;
void encodingsAgree;
void phasesAgree;

export const command: Command = {
  summary: 'run the benchmark harness',
  run: (argv) =>
    runCli(async () => {
      const loaded = loadCli('bench', argv);
      if ('exit' in loaded) return loaded.exit;
      const b = loaded.config.bench;
      const { runBench } = await import('../../bench/run.js');
      const { repoRoot } = await import('../../bench/traffic.js');
      return runBench({
        quick: b.quick,
        // The harness order whatever order was given (later phases reuse what earlier ones set up),
        // typed through the schema's phase list; the loader already refused unknown names.
        only: BENCH_PHASES.filter((p) => b.only.includes(p)),
        ...(b.spans !== undefined ? { spans: b.spans } : {}),
        encoding: b.encoding,
        spansPerMessage: b.spansPerMessage,
        ...(b.runs !== undefined ? { runs: b.runs } : {}),
        workersMax: b.workersMax,
        zipkinHeaps: b.zipkinHeap.split(','),
        ...(b.e2eSpansPerMessage !== undefined ? { e2eShapes: [...b.e2eSpansPerMessage] } : {}),
        outDir: b.out ?? resolve(repoRoot(), 'bench', 'results'),
        updateReadme: b.updateReadme,
        command: ['tracefold bench', ...argv].join(' '),
      });
    }),
};
