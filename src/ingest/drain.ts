/**
 * Drain requests: every worker flushes its windows and waits for its writes, then answers
 * `drained`; shutdown, revocation and the end of a replay wait on them.
 */

import type { DecodedMessage } from '../../workers/protocol.js';
import { within } from '../async/within.js';
import type { WorkerPool } from '../dispatch/pool.js';

/** What draining needs of the pool. */
export type DrainablePool = Pick<WorkerPool, 'size' | 'post'>;

export class Drains {
  private seq = 0;
  private readonly waiters = new Map<number, { left: number; resolve: () => void }>();
  /** Forward messages sent to each worker, by the `decoded` answers so far. */
  private readonly forwardsTo: number[];

  constructor(private readonly pool: DrainablePool) {
    this.forwardsTo = new Array<number>(pool.size).fill(0);
  }

  /** A worker's `decoded` answer: the forwards it sent for that batch are on their way. */
  onDecoded(msg: DecodedMessage): void {
    if (msg.forwardedTo === undefined) return;
    for (const peer of msg.forwardedTo) this.forwardsTo[peer] = (this.forwardsTo[peer] ?? 0) + 1;
  }

  /**
   * Asks every worker to flush and write, each once it has taken in the forwards of every batch
   * answered so far; `drained` settles when all have answered.
   */
  request(): { requestId: number; drained: Promise<void> } {
    const requestId = ++this.seq;
    const drained = new Promise<void>((resolve) => this.waiters.set(requestId, { left: this.pool.size, resolve }));
    for (let w = 0; w < this.pool.size; w++) this.pool.post(w, { type: 'drain', requestId, forwards: this.forwardsTo[w] ?? 0 });
    return { requestId, drained };
  }

  /** Settles every pending request: a worker failed, and no answer is coming. */
  abandon(): void {
    for (const w of this.waiters.values()) w.resolve();
    this.waiters.clear();
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
