import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { javaBin, runDir } from './config.js';
import { InfraError } from './errors.js';
import { portOpen } from './http.js';
import { withLock } from './lock.js';
import { cmdline, type Detached, launchDetached, pidAlive, sleep, tailFile, terminateGroup } from './proc.js';
import { say } from './say.js';

export type Kind = 'kafka' | 'opensearch' | 'zipkin' | 'elasticsearch';

/** How to launch one JVM server. */
export interface LaunchPlan {
  jvmArgs: string[];
  /** Main class and its arguments, or `-jar file` and its arguments. */
  mainArgs: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface ServerSpec {
  /** Instance name: PID/state/log file key. `zipkin` is the default Zipkin, extra ones get other names. */
  name: string;
  kind: Kind;
  host: string;
  port: number;
  /** Every port the server binds; all must be free before a start. */
  ports: number[];
  /** Address users connect to (bootstrap server for Kafka). */
  url: string;
  /** Identity of the launch configuration; a running instance with another one is restarted. */
  fingerprint: string;
  startTimeoutMs: number;
  stopTimeoutMs: number;
  healthy(): Promise<boolean>;
  /** Fetches artifacts and writes config files; runs only when a start is really needed. */
  prepare(): Promise<LaunchPlan>;
  /** Inspects the startup log; returns a reason to give up early (e.g. the runner chose another port). */
  checkStartup?(log: string): string | undefined;
  /** Appended to "exited during startup" when the server is known to die silently. */
  exitHint?: string;
  /** Further log files worth showing when the start fails. */
  extraLogs?(): string[];
}

export interface InstanceState {
  name: string;
  kind: Kind;
  pid: number;
  host: string;
  port: number;
  url: string;
  fingerprint: string;
  stopTimeoutMs: number;
  startedAt: string;
  logFile: string;
}

export interface EnsureResult {
  url: string;
  /** started: launched now; reused: ours, already running; external: someone else's server on that port. */
  outcome: 'started' | 'reused' | 'external';
}

const pidsDir = (): string => join(runDir(), 'pids');
export const logFile = (name: string): string => join(runDir(), 'logs', `${name}.log`);
export const dataDir = (name: string): string => join(runDir(), 'data', name);
export const confDir = (name: string): string => join(runDir(), 'conf', name);
const pidFile = (name: string): string => join(pidsDir(), `${name}.pid`);
const stateFile = (name: string): string => join(pidsDir(), `${name}.json`);
const lockFile = (name: string): string => join(pidsDir(), `${name}.lock`);

export function validateName(name: string): void {
  if (!/^[a-z0-9][a-z0-9._-]*$/i.test(name)) throw new InfraError(`invalid server name "${name}" (letters, digits, . _ - only)`);
}

/** Marker JVM properties: a PID is only ever signalled if its command line carries both. */
function markers(name: string): string[] {
  return [`-Dtracefold.instance=${name}`, `-Dtracefold.run=${runDir()}`];
}

export function readState(name: string): InstanceState | undefined {
  try {
    return JSON.parse(readFileSync(stateFile(name), 'utf8')) as InstanceState;
  } catch {
    return undefined;
  }
}

/** PID of the instance we started, if it is still alive (and really is that instance). */
export function ownedPid(name: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile(name), 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !pidAlive(pid)) return undefined;
  const args = cmdline(pid);
  return markers(name).every((m) => args.includes(m)) ? pid : undefined;
}

function clearFiles(name: string): void {
  rmSync(pidFile(name), { force: true });
  rmSync(stateFile(name), { force: true });
}

/** Names of every instance with a PID file, i.e. everything `down` should consider. */
export function knownInstances(): string[] {
  if (!existsSync(pidsDir())) return [];
  return readdirSync(pidsDir())
    .filter((f) => f.endsWith('.pid'))
    .map((f) => f.slice(0, -'.pid'.length))
    .sort();
}

export function failureDetails(name: string, extra: string[] = []): string {
  const main = tailFile(logFile(name), 40);
  const parts = [`--- last 40 lines of ${logFile(name)} ---`, main || '(empty)'];
  for (const file of extra) {
    const tail = tailFile(file, 40);
    // The runners echo their node log to stdout; skip a file that adds nothing.
    const last = tail.split('\n').at(-1);
    if (tail && !(last && main.includes(last))) parts.push(`--- last 40 lines of ${file} ---`, tail);
  }
  return parts.join('\n');
}

async function waitReady(spec: ServerSpec, proc: Detached | undefined, pid: number): Promise<void> {
  const deadline = Date.now() + spec.startTimeoutMs;
  const logReason = (): string | undefined => spec.checkStartup?.(tailFile(logFile(spec.name), 2000));
  for (;;) {
    const exit = proc?.exitCode();
    if (exit !== undefined || !pidAlive(pid)) {
      const reason = logReason();
      if (reason) throw new InfraError(`${spec.name}: ${reason}`);
      const code = exit !== undefined && exit !== null ? ` with code ${exit}` : '';
      throw new InfraError(`${spec.name} exited during startup${code}${spec.exitHint ? ` (${spec.exitHint})` : ''}`);
    }
    const reason = logReason();
    if (reason) throw new InfraError(`${spec.name}: ${reason}`);
    if (await spec.healthy()) return;
    if (Date.now() > deadline) throw new InfraError(`${spec.name} did not become ready within ${spec.startTimeoutMs / 1000}s`);
    await sleep(500);
  }
}

/**
 * Idempotent start: reuses a healthy instance (ours, or a foreign server already answering on
 * the port), restarts ours if its configuration changed, otherwise launches and waits until ready.
 */
export async function ensureServer(spec: ServerSpec): Promise<EnsureResult> {
  validateName(spec.name);
  return withLock(lockFile(spec.name), `start of ${spec.name}`, async () => {
    const running = ownedPid(spec.name);
    if (running !== undefined) {
      const state = readState(spec.name);
      if (state?.fingerprint === spec.fingerprint) {
        if (await spec.healthy()) {
          say(`${spec.name}: already running (pid ${running}), reusing ${spec.url}`);
          return { url: spec.url, outcome: 'reused' };
        }
        say(`${spec.name}: running (pid ${running}) but not healthy yet, waiting`);
        try {
          await waitReady(spec, undefined, running);
          say(`${spec.name}: ready at ${spec.url} (pid ${running})`);
          return { url: spec.url, outcome: 'reused' };
        } catch (err) {
          const reason = err instanceof Error ? err.message : String(err);
          throw new InfraError(`${reason}; try: npx tsx infra/cli.ts down ${spec.name}`, failureDetails(spec.name, spec.extraLogs?.()));
        }
      }
      say(`${spec.name}: running (pid ${running}) with another configuration, restarting`);
      await stopOwned(spec.name, running, state?.stopTimeoutMs ?? spec.stopTimeoutMs);
    }
    clearFiles(spec.name);

    if (await portOpen(spec.host, spec.port)) {
      if (await spec.healthy()) {
        say(`${spec.name}: a server not started by tracefold already answers at ${spec.url}; using it (down will not stop it)`);
        return { url: spec.url, outcome: 'external' };
      }
      throw new InfraError(`${spec.name}: port ${spec.host}:${spec.port} is already in use by another process (see: ss -ltnp)`);
    }
    for (const port of spec.ports) {
      if (port !== spec.port && (await portOpen(spec.host, port))) {
        throw new InfraError(`${spec.name}: port ${spec.host}:${port} is already in use by another process (see: ss -ltnp)`);
      }
    }

    const plan = await spec.prepare();
    for (const dir of [pidsDir(), join(runDir(), 'logs')]) mkdirSync(dir, { recursive: true });
    const started = Date.now();
    const args = [...markers(spec.name), ...plan.jvmArgs, ...plan.mainArgs];
    const proc = await launchDetached(javaBin(), args, {
      cwd: plan.cwd ?? runDir(),
      env: plan.env ?? process.env,
      logFile: logFile(spec.name),
    });
    writeFileSync(pidFile(spec.name), `${proc.pid}\n`);
    const state: InstanceState = {
      name: spec.name,
      kind: spec.kind,
      pid: proc.pid,
      host: spec.host,
      port: spec.port,
      url: spec.url,
      fingerprint: spec.fingerprint,
      stopTimeoutMs: spec.stopTimeoutMs,
      startedAt: new Date().toISOString(),
      logFile: logFile(spec.name),
    };
    writeFileSync(stateFile(spec.name), `${JSON.stringify(state, null, 2)}\n`);
    say(`${spec.name}: starting (pid ${proc.pid}), log ${logFile(spec.name)}`);
    try {
      await waitReady(spec, proc, proc.pid);
    } catch (err) {
      // A half-started JVM would hold the ports and confuse the next attempt.
      await terminateGroup(proc.pid, 5000).catch(() => undefined);
      clearFiles(spec.name);
      const reason = err instanceof Error ? err.message : String(err);
      throw new InfraError(reason, failureDetails(spec.name, spec.extraLogs?.()));
    }
    say(`${spec.name}: ready at ${spec.url} in ${((Date.now() - started) / 1000).toFixed(1)}s (pid ${proc.pid})`);
    return { url: spec.url, outcome: 'started' };
  });
}

async function stopOwned(name: string, pid: number, timeoutMs: number): Promise<void> {
  say(`${name}: stopping (pid ${pid})`);
  const started = Date.now();
  const killed = await terminateGroup(pid, timeoutMs);
  clearFiles(name);
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  say(killed ? `${name}: did not exit within ${timeoutMs / 1000}s of SIGTERM, killed` : `${name}: stopped in ${secs}s`);
}

/** Stops an instance we started; a no-op if it is not running. Returns whether it was running. */
export async function stopServer(name: string): Promise<boolean> {
  validateName(name);
  return withLock(lockFile(name), `stop of ${name}`, async () => {
    const pid = ownedPid(name);
    if (pid === undefined) {
      clearFiles(name);
      return false;
    }
    await stopOwned(name, pid, readState(name)?.stopTimeoutMs ?? 30_000);
    return true;
  });
}
