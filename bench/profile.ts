/**
 * Where the worker CPU goes: runs the pipeline-without-I/O benchmark under V8's sampling profiler
 * (`node --cpu-prof`, which also profiles worker threads) and sums self time by function and by
 * stage. The numbers behind native/README.md.
 *
 * Usage: see USAGE (`node dist/bench/profile.js --help`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { ZipkinEncoding } from '../core/model/span.js';
import { encodingFlag, integerFlag, parseFlags, usageExit } from './flags.js';
import { defaultWorkerSettings, pipelineRun } from './pipeline.js';
import { loadBaseTraces, MessageGen, repoRoot, TraceGen, toBatches } from './traffic.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Stages by source location (first match wins); self time elsewhere is "other". */
const STAGES: [string, (fn: string, url: string) => boolean][] = [
  ['garbage collection', (fn) => fn === '(garbage collector)'],
  ['idle', (fn) => fn === '(idle)'],
  ['decode: JSON.parse + UTF-8 check (native)', (fn, url) => url === '' && (fn === 'parse' || fn === 'isUtf8' || fn === 'utf8Slice')],
  ['decode: JSON v2 reader', (_fn, url) => url.includes('core/codec/decode/json-v2')],
  ['decode: other decoders, detect', (_fn, url) => url.includes('core/codec/decode/') || url.includes('workers/decode/')],
  ['normalise', (_fn, url) => url.includes('core/model/normalize')],
  ['check (span rules)', (_fn, url) => url.includes('workers/check/')],
  ['document _id: md5 (node:crypto)', (_fn, url) => url.includes('internal/crypto/hash') || url.includes('node:internal/crypto')],
  ['ES document: JSON escaping (quote)', (_fn, url) => url.includes('workers/encode/json-string')],
  ['ES document, bulk lines, index name', (_fn, url) => url.includes('workers/encode/')],
  ['windows', (_fn, url) => url.includes('workers/assemble/windows')],
  ['span facts, interning', (_fn, url) => url.includes('workers/assemble/facts')],
  ['dependency links (linker, link windows)', (_fn, url) => url.includes('workers/link/')],
  ['sampling', (_fn, url) => url.includes('workers/sample/')],
  ['shard hash', (_fn, url) => url.includes('workers/assemble/shard')],
  ['forwarding: msgpackr', (_fn, url) => url.includes('msgpackr')],
  [
    'pipeline glue, filter, stats',
    (_fn, url) => url.includes('workers/pipeline') || url.includes('workers/filter') || url.includes('workers/stats'),
  ],
  ['sink: bulk writer (or null sink)', (_fn, url) => url.includes('workers/sink')],
  [
    'HTTP client: request bodies, responses (@elastic, undici, Buffer.write)',
    (fn, url) =>
      url.includes('@elastic') ||
      url.includes('undici') ||
      url.includes('secure-json-parse') ||
      url.includes('_http_') ||
      url === 'node:net' ||
      (url === 'node:buffer' && fn === 'write') ||
      fn === 'writev',
  ],
  [
    'start-up: module loading and compiling (tsx)',
    (fn, url) =>
      url.includes('internal/modules') ||
      url.includes('node_modules/tsx') ||
      url.includes('internal/bootstrap') ||
      fn === 'readFileUtf8' ||
      fn === 'readFileSync',
  ],
  [
    'messaging (MessagePort, structured clone)',
    (_fn, url) => url.includes('internal/worker') || url.includes('internal/per_context/messageport'),
  ],
  ['(program): V8/native not attributed to JS', (fn) => fn === '(program)'],
  ['regular expressions (escaping checks)', (fn) => fn.startsWith('RegExp:')],
];

function stageOf(fn: string, url: string): string {
  for (const [name, test] of STAGES) if (test(fn, url)) return name;
  return 'other';
}

interface Summary {
  file: string;
  totalMs: number;
  byStage: Map<string, number>;
  byFunction: Map<string, number>;
}

function summarizeProfile(file: string, root: string): Summary {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(prof.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < prof.samples.length; i++) {
    const id = prof.samples[i] as number;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0));
  }
  const byStage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const n = nodes.get(id);
    if (!n) continue;
    const { functionName, url } = n.callFrame;
    const stage = stageOf(functionName, url);
    byStage.set(stage, (byStage.get(stage) ?? 0) + us);
    const where = url.startsWith('file://') ? relative(root, url.slice(7)) : url;
    // Line numbers are of tsx's transpiled output, not the source: the file is what helps.
    const key = `${functionName || '(anonymous)'} ${where}`.trim();
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    total += us;
  }
  return { file, totalMs: total / 1000, byStage, byFunction };
}

function table(title: string, map: Map<string, number>, total: number, limit: number): string {
  const rows = [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, limit);
  const lines = [`${title}`, '', '| | ms | share |', '| --- | ---: | ---: |'];
  for (const [k, us] of rows) lines.push(`| ${k} | ${(us / 1000).toFixed(0)} | ${((us / 1000 / total) * 100).toFixed(1)} % |`);
  return lines.join('\n');
}

async function child(workers: number, spans: number, encoding: ZipkinEncoding, links: boolean): Promise<void> {
  const bases = loadBaseTraces();
  const gen = new MessageGen(new TraceGen(bases, { seed: 3, startMicros: () => Date.now() * 1000 }), encoding, 10);
  const warm = toBatches(gen.messages(30_000), 6, []);
  const timed = toBatches(gen.messages(spans), 6, []);
  const settings = defaultWorkerSettings([
    '--sink-kind',
    'null',
    '--window-quiet-ms',
    '50',
    ...(links ? [] : ['--no-dependencies-enabled']),
  ]);
  const r = await pipelineRun(workers, settings, warm, timed);
  process.stdout.write(`${JSON.stringify(r)}\n`);
}

const USAGE = `Usage: node dist/bench/profile.js [options]
       node dist/bench/profile.js --summarize DIR

The pipeline without I/O (null sink) under V8's sampling profiler: self time of the worker threads
by stage and by function, and the coordinator's top functions. Run the compiled build: through tsx
every call across modules shows up as an export getter (\`get …\` frames).

  --workers N        worker threads                                  (default 1)
  --spans N          timed spans                                     (default 300000)
  --encoding E       json-v2 | json-v1 | thrift | proto3             (default json-v2)
  --links on|off     dependency links (--no-dependencies-enabled)    (default on)
  --keep DIR         keep the .cpuprofile files in DIR
  --summarize DIR    only summarise profiles already in DIR (e.g. from
                     node --cpu-prof --cpu-prof-dir DIR bin/tracefold.js ingest …)
`;

const OPTIONS = {
  child: { type: 'boolean' },
  workers: { type: 'string', default: '1' },
  spans: { type: 'string', default: '300000' },
  encoding: { type: 'string', default: 'json-v2' },
  links: { type: 'string', default: 'on' },
  keep: { type: 'string' },
  summarize: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

async function main(): Promise<void> {
  const values = parseFlags('profile', OPTIONS, USAGE);
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const errors: string[] = [];
  const workers = integerFlag(errors, 'workers', values.workers, 1);
  const spans = integerFlag(errors, 'spans', values.spans, 1000);
  const encoding = encodingFlag(errors, values.encoding);
  if (values.links !== 'on' && values.links !== 'off') errors.push(`--links: on or off, got ${values.links}`);
  if (errors.length > 0) usageExit('profile', errors, USAGE);
  if (values.child) return child(workers, spans, encoding, values.links === 'on');
  const root = repoRoot();
  if (values.summarize !== undefined) {
    report(values.summarize, root);
    return;
  }
  const dir = values.keep ?? mkdtempSync(join(tmpdir(), 'tracefold-prof-'));
  const compiled = !import.meta.url.endsWith('.ts');
  const self = compiled ? [join(root, 'dist', 'bench', 'profile.js')] : ['--import', 'tsx', join(root, 'bench', 'profile.ts')];
  const run = spawnSync(
    process.execPath,
    [
      '--cpu-prof',
      '--cpu-prof-dir',
      dir,
      '--cpu-prof-interval',
      '250',
      ...self,
      '--child',
      '--workers',
      String(workers),
      '--spans',
      String(spans),
      '--encoding',
      values.encoding,
      '--links',
      values.links,
    ],
    { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  if (run.status !== 0) throw new Error(`profiled run failed (${run.status})`);
  process.stdout.write(`run: ${run.stdout.trim()}\n\n`);
  report(dir, root);
  if (values.keep === undefined) rmSync(dir, { recursive: true, force: true });
  else process.stdout.write(`\nprofiles kept in ${dir}\n`);
}

function report(dir: string, root: string): void {
  const profiles = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => summarizeProfile(join(dir, f), root));
  // The main thread generates traffic and coordinates, tsx has a loader thread: the pool's workers
  // are the profiles that ran the Pipeline.
  const workerProfiles = profiles.filter((p) => [...p.byFunction.keys()].some((k) => k.includes('workers/pipeline')));
  const byStage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const p of workerProfiles) {
    for (const [k, v] of p.byStage) if (k !== 'idle') byStage.set(k, (byStage.get(k) ?? 0) + v);
    for (const [k, v] of p.byFunction) if (!k.startsWith('(idle)')) byFunction.set(k, (byFunction.get(k) ?? 0) + v);
    for (const [k, v] of p.byStage) if (k !== 'idle') total += v;
  }
  process.stdout.write(
    `${profiles.length} thread profiles, ${workerProfiles.length} of pipeline workers; ` +
      `busy worker time ${(total / 1000).toFixed(0)} ms, idle excluded\n\n`,
  );
  process.stdout.write(`${table('Self time by stage (worker threads):', byStage, total / 1000, 30)}\n\n`);
  process.stdout.write(`${table('Top functions by self time (worker threads):', byFunction, total / 1000, 30)}\n`);
  // The busiest other thread is the coordinator (Kafka client, batching, watermark).
  const others = profiles.filter((p) => !workerProfiles.includes(p));
  const busy = (p: Summary): number => [...p.byStage].reduce((n, [k, v]) => (k === 'idle' ? n : n + v), 0);
  const main = others.sort((a, b) => busy(b) - busy(a))[0];
  if (main) {
    const mainFns = new Map([...main.byFunction].filter(([k]) => !k.startsWith('(idle)')));
    process.stdout.write(`\n${table('Busiest other thread (coordinator), top functions:', mainFns, busy(main) / 1000, 15)}\n`);
  }
}

await main();
