import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readSync, renameSync, statSync } from 'node:fs';
import { InfraError } from './errors.js';

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Alive and not a zombie: a reaped-late child still answers kill(pid, 0). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true;
  }
}

export function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .filter((s) => s.length > 0);
  } catch {
    return [];
  }
}

export interface RunResult {
  code: number | null;
  output: string;
}

/** Runs a short-lived command to completion, keeping the tail of its combined output for error messages. */
export function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (output.length > 200_000) output = output.slice(-100_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'ENOENT' ? new InfraError(`${cmd} not found on PATH`) : err);
    });
    child.on('close', (code) => resolve({ code, output }));
  });
}

export interface Detached {
  pid: number;
  /** Exit code once the process has exited while this Node process watched it; undefined while running. */
  exitCode(): number | null | undefined;
}

/**
 * Starts a long-lived server in its own session/process group (so stop can signal the whole
 * group) with stdout+stderr appended to `logFile`. The previous log is kept as `<log>.1`.
 */
export function launchDetached(
  cmd: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; logFile: string },
): Promise<Detached> {
  if (existsSync(opts.logFile) && statSync(opts.logFile).size > 0) renameSync(opts.logFile, `${opts.logFile}.1`);
  const fd = openSync(opts.logFile, 'a');
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: ['ignore', fd, fd] });
    let exit: number | null | undefined;
    child.on('exit', (code, signal) => {
      exit = code ?? (signal ? 128 : null);
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      closeSync(fd);
      reject(err.code === 'ENOENT' ? new InfraError(`${cmd} not found (set TRACEFOLD_JAVA or JAVA_HOME)`) : err);
    });
    child.on('spawn', () => {
      closeSync(fd);
      child.unref();
      const pid = child.pid;
      if (pid === undefined) {
        reject(new InfraError(`${cmd} did not start`));
        return;
      }
      resolve({ pid, exitCode: () => exit });
    });
  });
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** SIGTERM to the process group, SIGKILL after `timeoutMs`. Resolves true if it had to kill. */
export async function terminateGroup(pid: number, timeoutMs: number): Promise<boolean> {
  if (!pidAlive(pid)) return false;
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!pidAlive(pid)) return false;
    await sleep(200);
  }
  signalGroup(pid, 'SIGKILL');
  const hard = Date.now() + 10_000;
  while (pidAlive(pid) && Date.now() < hard) await sleep(100);
  if (pidAlive(pid)) throw new InfraError(`pid ${pid} survived SIGKILL`);
  return true;
}

/** Last `lines` lines of a (possibly large) text file, or '' if absent. */
export function tailFile(file: string, lines: number): string {
  if (!existsSync(file)) return '';
  const size = statSync(file).size;
  const fd = openSync(file, 'r');
  try {
    const length = Math.min(size, 256 * 1024);
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, size - length);
    const text = buf.toString('utf8').replace(/\n$/, '');
    return text.split('\n').slice(-lines).join('\n');
  } finally {
    closeSync(fd);
  }
}
