/** The machine a run happened on: printed with every result, since figures only compare within one run. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { javaBin, VERSIONS } from '../infra/config.js';
import { repoRoot } from './traffic.js';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  kernel: string;
  node: string;
  java: string;
  kafka: string;
  zipkin: string;
  opensearch?: string;
  git: string;
  /** 1-minute load average when the run started and ended: the machine is shared. */
  loadAtStart: number;
  loadAtEnd?: number;
}

function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m?.[1]) return m[1].trim();
  } catch {
    // Not Linux: fall back to what Node reports.
  }
  return cpus()[0]?.model ?? 'unknown';
}

function javaVersion(): string {
  const out = spawnSync(javaBin(), ['-version'], { encoding: 'utf8' });
  const m = /version "([^"]+)"/.exec(`${out.stderr ?? ''}${out.stdout ?? ''}`);
  return m?.[1] ?? 'not found';
}

function gitDescribe(): string {
  const root = repoRoot();
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout?.trim();
  if (!head) return 'unknown';
  const dirty = spawnSync('git', ['status', '--porcelain'], { cwd: root, encoding: 'utf8' }).stdout?.trim();
  return dirty ? `${head} (with uncommitted changes)` : head;
}

export function machineInfo(): MachineInfo {
  return {
    cpuModel: cpuModel(),
    cores: availableParallelism(),
    memoryBytes: totalmem(),
    kernel: release(),
    node: process.version,
    java: javaVersion(),
    kafka: VERSIONS.kafka,
    zipkin: VERSIONS.zipkin,
    git: gitDescribe(),
    loadAtStart: loadavg()[0] ?? Number.NaN,
  };
}

export function currentLoad(): number {
  return loadavg()[0] ?? Number.NaN;
}
