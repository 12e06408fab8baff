/**
 * Drain requests: every worker flushes its windows and waits for its writes, then answers
 * `drained`; shutdown, revocation and the end of a replay wait on them.
 */
import { within } from '../async/within.js';
import type { WorkerPool } from '../dispatch/pool.js';

/** What draining needs of the pool. */
export type DrainablePool = Pick<WorkerPool, 'size' | 'broadcast'>;

export class Drains {
  private seq = 0;
  private readonly waiters = new Map<number, { left: number; resolve: () => void }>();

  constructor(private readonly pool: DrainablePool) {}

  /** Asks every worker to flush and write; `drained` settles when all have answered. */
  request(): { requestId: number; drained: Promise<void> } {
    const requestId = ++this.seq;
    const drained = new Promise<void>((resolve) => this.waiters.set(requestId, { left: this.pool.size, resolve }));
    this.pool.broadcast({ type: 'drain', requestId });
    return { requestId, drained };
  }

  /** One worker's `drained` answer. */
  onDrained(requestId: number): void {
    const waiter = this.waiters.get(requestId);
    if (waiter && --waiter.left === 0) {
      this.waiters.delete(requestId);
      waiter.resolve();
    }
  }

  /**
   * Drains until `idle()` holds; false when `timeoutMs` passes or `aborted()` turns true first.
   * Forwarded spans can cross a drain between workers, hence the repetition; at least once even
   * when idle, because workers hold derived state only a drain writes out (open dependency-link
   * windows), which the commit watermark does not track.
   */
  async until(idle: () => boolean, timeoutMs: number, aborted: () => boolean): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (let first = true; first || !idle(); first = false) {
      if (Date.now() >= deadline || aborted()) return idle();
      const { requestId, drained } = this.request();
      await within(drained, deadline - Date.now());
      this.waiters.delete(requestId);
      if (!idle()) await new Promise((r) => setTimeout(r, 20));
    }
    return true;
  }
}
