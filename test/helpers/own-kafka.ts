/**
 * A Kafka broker of the test's own, on other ports and in its own run directory, for scenarios that
 * restart a broker or need a special listener: the shared broker on 9092 is never restarted. Driven
 * through the infra CLI in a child process (infra reads its ports from the environment at start-up).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOG_DIR } from './tracefold.js';

const ROOT = join(import.meta.dirname, '../..');

export class OwnKafka {
  readonly runDir = mkdtempSync(join(tmpdir(), 'tracefold-kafka-'));
  readonly env: Record<string, string>;
  readonly bootstrap: string;

  constructor(port: number, extraEnv: Record<string, string> = {}) {
    this.env = { TRACEFOLD_RUN_DIR: this.runDir, TF_KAFKA_PORT: String(port), TF_KAFKA_CONTROLLER_PORT: String(port + 1), ...extraEnv };
    this.bootstrap = `127.0.0.1:${port}`;
  }

  private infra(args: string[]): void {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'infra/cli.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...this.env },
      encoding: 'utf8',
      timeout: 180_000,
    });
    if (r.status !== 0) throw new Error(`infra ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  }

  /** Starts the broker (or restarts it with its data kept). */
  up(): void {
    this.infra(['up', 'kafka']);
  }

  /** Stops the broker; its data stays for the next `up`. */
  down(): void {
    this.infra(['down']);
  }

  /** Stops the broker and deletes its run directory, keeping its log in the test logs. */
  destroy(): void {
    try {
      this.down();
    } finally {
      const log = join(this.runDir, 'logs', 'kafka.log');
      if (existsSync(log)) {
        mkdirSync(LOG_DIR, { recursive: true });
        copyFileSync(log, join(LOG_DIR, `kafka-${this.bootstrap.split(':')[1]}.log`));
      }
      rmSync(this.runDir, { recursive: true, force: true });
    }
  }
}
