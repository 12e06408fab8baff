/**
 * The ship phase: `tracefold ship` reading a prepared span log into Kafka. One span per line (the
 * common logging shape), a file made before the run and moved into the watched folder at once, so
 * the figure is reading + decoding + keyed batching + compression + Kafka acknowledgement, not the
 * writer. CPU is the shipper process's (all threads, librdkafka's included) from /proc, counted
 * from when the file appears — start-up (tsx, Kafka connect) is excluded.
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeJsonV2 } from '../core/codec/encode/json-v2.js';
import { type Child, spawnTracefold, stopChild } from './e2e.js';
import { createTopic, dropTopic, freePort, KAFKA, procSample, scrapeSums, uniqueId } from './servers.js';
import { type Summary, summarize } from './stats.js';
import { type BaseTrace, TraceGen } from './traffic.js';

export interface ShipRun {
  run: number;
  wallSeconds: number;
  cpuSeconds: number;
  linesPerSec: number;
  /** Lines per CPU-second of the shipper process: its throughput per core. */
  linesPerCpuSecond: number;
  cpuMicrosPerLine: number;
}

export interface ShipResult {
  lines: number;
  bytes: number;
  compression: string;
  partitions: number;
  runs: ShipRun[];
  linesPerSec: Summary;
  linesPerCpuSecond: Summary;
  cpuMicrosPerLine: Summary;
}

export interface ShipOptions {
  spans: number;
  runs: number;
  partitions: number;
  logDir: string;
  progress: (line: string) => void;
}

const text = new TextDecoder();
const METRICS = ['tracefold_ship_lines_read_total', 'tracefold_ship_bytes_behind', 'tracefold_ship_in_flight_bytes'] as const;

function spanLog(bases: readonly BaseTrace[], spans: number): { body: string; lines: number } {
  const gen = new TraceGen(bases, { seed: 77 });
  const lines: string[] = [];
  while (gen.spans < spans) for (const s of gen.trace()) lines.push(text.decode(encodeJsonV2([s])).slice(1, -1));
  return { body: `${lines.join('\n')}\n`, lines: lines.length };
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number, child: Child): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (child.exitCode !== undefined)
      throw new Error(`tracefold ship exited ${child.exitCode} while waiting for ${what} (log ${child.logFile})`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (log ${child.logFile})`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function shipPhase(bases: readonly BaseTrace[], o: ShipOptions): Promise<ShipResult> {
  const { body, lines } = spanLog(bases, o.spans);
  const bytes = Buffer.byteLength(body);
  o.progress(`ship: ${lines} lines (${(bytes / 2 ** 20).toFixed(0)} MiB), ${o.runs} runs`);
  const runs: ShipRun[] = [];
  for (let run = 1; run <= o.runs; run++) {
    const dir = mkdtempSync(join(tmpdir(), 'tf-bench-ship-'));
    const topic = `tf-bench-ship-${uniqueId()}`;
    await createTopic(topic, o.partitions);
    const staged = join(dir, 'staged.tmp');
    writeFileSync(staged, body);
    const port = await freePort();
    const child = spawnTracefold(
      [
        'ship',
        '--path',
        join(dir, '*.log'),
        '--topic',
        topic,
        '--kafka-bootstrap-servers',
        KAFKA,
        '--position-file',
        join(dir, 'positions.json'),
        '--admin-port',
        String(port),
        '--log-level',
        'warn',
      ],
      o.logDir,
      `ship-${run}`,
    );
    const url = `http://127.0.0.1:${port}/metrics`;
    try {
      await until('the admin endpoint', async () => (await scrapeSums(url, METRICS)) !== undefined, 60_000, child);
      const pid = child.proc.pid as number;
      const cpu0 = procSample(pid)?.cpuSeconds ?? Number.NaN;
      const t0 = performance.now();
      renameSync(staged, join(dir, 'spans.log'));
      await until(
        'every line acknowledged',
        async () => {
          const s = await scrapeSums(url, METRICS);
          return s !== undefined && s[0] === lines && s[1] === 0 && s[2] === 0;
        },
        600_000,
        child,
      );
      const wallSeconds = (performance.now() - t0) / 1000;
      const cpuSeconds = (procSample(pid)?.cpuSeconds ?? Number.NaN) - cpu0;
      const r: ShipRun = {
        run,
        wallSeconds,
        cpuSeconds,
        linesPerSec: lines / wallSeconds,
        linesPerCpuSecond: lines / cpuSeconds,
        cpuMicrosPerLine: (cpuSeconds * 1e6) / lines,
      };
      runs.push(r);
      o.progress(
        `ship: run ${run}/${o.runs}: ${Math.round(r.linesPerSec)} lines/s, ${r.cpuMicrosPerLine.toFixed(1)} µs CPU/line (${Math.round(r.linesPerCpuSecond)} lines per CPU-second)`,
      );
    } finally {
      await stopChild(child);
      await dropTopic(topic).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return {
    lines,
    bytes,
    compression: 'zstd',
    partitions: o.partitions,
    runs,
    linesPerSec: summarize(runs.map((r) => r.linesPerSec)),
    linesPerCpuSecond: summarize(runs.map((r) => r.linesPerCpuSecond)),
    cpuMicrosPerLine: summarize(runs.map((r) => r.cpuMicrosPerLine)),
  };
}
