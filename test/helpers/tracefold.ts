/** Runs tracefold as a child process (the real CLI from source), for end-to-end tests. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { SEARCH } from './servers.js';

const ROOT = join(import.meta.dirname, '../..');
export const LOG_DIR = join(ROOT, '.tracefold', 'test-logs');

/** The search-engine settings of a test node: the local engine, `index`, one shard, no replica. */
export function searchEnv(index: string): Record<string, string> {
  return { ES_HOSTS: SEARCH, ES_INDEX: index, ES_INDEX_REPLICAS: '0', ES_INDEX_SHARDS: '1' };
}

export interface Running {
  child: ChildProcess;
  exited: Promise<number | null>;
  logFile: string;
}

export function startTracefold(args: string[], env: Record<string, string>, logName: string): Running {
  mkdirSync(LOG_DIR, { recursive: true });
  const logFile = join(LOG_DIR, `${logName}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/run.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Both pipes share one file: neither may end it, and `exited` resolves once the child's output
  // is in the file ('close' comes after both pipes drained, 'exit' may come before), so a test can
  // read the log the moment the child is gone.
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code, signal) => log.end(() => resolve(code ?? (signal ? -1 : null)))),
  );
  return { child, exited, logFile };
}

/**
 * Polls `check` until it returns true or the deadline passes. A check that throws counts as "not
 * yet" (a server busy creating an index answers with an error for a moment), and the last error
 * is reported with the timeout: a wait that failed on every poll says why, not just that it waited.
 */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, everyMs = 500): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why =
        lastError === undefined ? '' : `; the last check failed: ${lastError instanceof Error ? lastError.message : String(lastError)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`, { cause: lastError });
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A port free right now on 127.0.0.1 (for a child's admin endpoint, instead of a fixed number another test may hold). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** A metric's value (the sum over its label sets) from a node's /metrics; NaN when absent or unreachable. */
export async function metric(adminPort: number, name: string, labels: Record<string, string> = {}): Promise<number> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
    let sum = Number.NaN;
    for (const m of text.matchAll(new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`, 'gm'))) {
      // Only the series carrying every given label value.
      if (Object.entries(labels).some(([k, v]) => !(m[1] ?? '').includes(`${k}="${v}"`))) continue;
      sum = (Number.isNaN(sum) ? 0 : sum) + Number(m[2]);
    }
    return sum;
  } catch {
    return Number.NaN;
  }
}

/** The JSON log lines (pino) of a child so far whose `msg` matches. */
export function logLines(logFile: string, msg: RegExp): Array<{ time: number; msg: string } & Record<string, unknown>> {
  let text = '';
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return [];
  }
  const out: Array<{ time: number; msg: string } & Record<string, unknown>> = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const rec = JSON.parse(line) as { time: number; msg: string };
      if (typeof rec.msg === 'string' && msg.test(rec.msg)) out.push(rec);
    } catch {
      // a line cut by a kill
    }
  }
  return out;
}
