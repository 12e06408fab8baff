import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { InfraError } from './errors.js';
import { pidAlive, sleep } from './proc.js';

function tryAcquire(file: string): boolean {
  try {
    const fd = openSync(file, 'wx');
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

function holder(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Cross-process mutex on a file. node:test runs test files as parallel processes that
 * may all call ensureKafka() at once; only one may fetch or start a server.
 * A lock whose holder died is taken over.
 */
export async function withLock<T>(file: string, what: string, fn: () => Promise<T>, timeoutMs = 15 * 60_000): Promise<T> {
  mkdirSync(dirname(file), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  while (!tryAcquire(file)) {
    const pid = holder(file);
    if (pid === undefined || !pidAlive(pid)) {
      try {
        unlinkSync(file);
      } catch {
        // another waiter removed it first
      }
      continue;
    }
    if (Date.now() > deadline) throw new InfraError(`timed out waiting for ${what}: lock ${file} held by pid ${pid}`);
    await sleep(250);
  }
  try {
    return await fn();
  } finally {
    if (holder(file) === process.pid) unlinkSync(file);
  }
}
