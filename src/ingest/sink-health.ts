/**
 * Each worker's write failures as its stats report them: logged once when they pass the health
 * limit and once when they end; /health is DOWN while one is past it; backpressure pauses
 * consumption while any worker's writes are failing at all.
 */
import type { Logger } from '../telemetry/logger.js';

interface WorkerSinkState {
  failingMs: number;
  failure: string | null;
  /** The failure was logged as past the health limit. */
  reported: boolean;
}

export class SinkHealth {
  /** Only workers whose writes are failing now. */
  private readonly failingWorkers = new Map<number, WorkerSinkState>();

  constructor(
    /** Writes failing this long make /health DOWN (they are still retried). */
    private readonly downAfterMs: number,
    private readonly log: Logger,
  ) {}

  /** One worker's latest report: `failingMs` 0 means its last write attempt succeeded. */
  report(worker: number, failingMs: number, failure: string | null): void {
    const was = this.failingWorkers.get(worker);
    if (failingMs === 0) {
      if (was?.reported) this.log.info({ worker, failedForMs: was.failingMs }, 'writes succeed again');
      this.failingWorkers.delete(worker);
      return;
    }
    const reported = failingMs >= this.downAfterMs;
    if (reported && !was?.reported) {
      this.log.error(
        { worker, failingForMs: failingMs, reason: failure, code: 'TF_SINK_FAILING' },
        'writes have been failing: /health is DOWN until one succeeds (still retrying, nothing dropped, offsets held back)',
      );
    }
    this.failingWorkers.set(worker, { failingMs, failure, reported: reported || (was?.reported ?? false) });
  }

  /** Some worker's writes are failing (for any time): more input would only pile up. */
  get failing(): boolean {
    return this.failingWorkers.size > 0;
  }

  /** The longest current write failure over all workers, if it is past the health limit. */
  down(): { failingForMs: number; reason: string | null } | undefined {
    let worst: { failingForMs: number; reason: string | null } | undefined;
    for (const s of this.failingWorkers.values()) {
      if (s.failingMs >= this.downAfterMs && (worst === undefined || s.failingMs > worst.failingForMs)) {
        worst = { failingForMs: s.failingMs, reason: s.failure };
      }
    }
    return worst;
  }
}
