/**
 * The time up to which the trace windows may call a trace quiet, when partitions are read at
 * different points of their history (a backlog after an outage, a replay, one partition read faster
 * than another).
 *
 * One trace's spans sit on several partitions when the input is not keyed by trace ID. Read live,
 * they arrive together; read from a backlog, a partition ahead of another delivers its part of a
 * trace seconds before the other one does, and a window that goes quiet in between is decided on a
 * fragment (sampling, trace rules and dependency links then see two traces). Wall time cannot tell
 * that the rest is still coming; the record times can: a trace's spans were written at about the
 * same time, so once every partition still behind has been read past the record time the leading
 * partitions had reached at wall time `w`, whatever belongs with what arrived by `w` has arrived.
 *
 * So: `complete(now)` is the latest wall time `w` (sampled at each tick) such that every partition
 * that still has records to read has been read up to the newest record time seen anywhere by `w`.
 * "Read" means decoded by a worker (its spans are in their windows, or on their way to their owner
 * worker), not handed to the pool: a batch can wait in a worker's queue for longer than a quiet window.
 * Windows count quiet time up to it (`quietMs` after a trace's last span, measured against it),
 * while their age limit and the decision TTL keep wall time. It is `now` when no partition is
 * behind (live traffic: nothing changes), never goes back, and never lags `now` by more than
 * `maxHoldMs` (a partition stuck or hours behind must not hold every trace: past that, fragments
 * are accepted as before).
 */

/** A partition with records left that delivered nothing for this long holds nothing back. */
const STALE_MS = 2_000;

interface PartitionState {
  /** Newest record time decoded from it, epoch ms. */
  readTo: number;
  /** Records were left to read after the last batch read (by read order). */
  behind: boolean;
  /** Wall time of the last batch read. */
  readAt: number;
  /** Batches read and not yet decoded. */
  pending: number;
  /** Read to its end (replay) or revoked: forgotten once nothing of it is pending. */
  ended: boolean;
}

interface PendingBatch {
  partition: PartitionState;
  key: string;
  newest: number;
}

export class QuietClock {
  private readonly partitions = new Map<string, PartitionState>();
  private readonly pending = new Map<number, PendingBatch>();
  /** Newest record time read anywhere, epoch ms. */
  private newest = Number.NEGATIVE_INFINITY;
  /** Ring of (wall time, `newest` at that time) samples, oldest first from `start`. */
  private readonly walls: Float64Array;
  private readonly newests: Float64Array;
  private start = 0;
  private size = 0;
  private last = Number.NEGATIVE_INFINITY;

  constructor(
    /** The most `complete` may lag `now`; 0 turns the clock off (`complete(now)` is `now`). */
    private readonly maxHoldMs: number,
    /** How often `complete` is asked (the tick): sets the history's length. */
    tickMs: number,
    /**
     * Record times this close count as one moment (a small part of the quiet window): live, the
     * partitions are always a few milliseconds apart, and that must not hold quiet time back a tick.
     */
    private readonly slackMs = 0,
  ) {
    const samples = maxHoldMs > 0 ? Math.ceil(maxHoldMs / Math.max(1, tickMs)) + 2 : 1;
    this.walls = new Float64Array(samples);
    this.newests = new Float64Array(samples);
  }

  /**
   * Batch `batchId` of partition `key` was read and handed to the workers: its newest record time
   * (0 or less when the records carry none) and whether the partition has records left after it.
   */
  read(batchId: number, key: string, newestRecordMs: number, behind: boolean, now: number): void {
    if (this.maxHoldMs <= 0) return;
    let p = this.partitions.get(key);
    if (p === undefined) {
      p = { readTo: Number.NEGATIVE_INFINITY, behind, readAt: now, pending: 0, ended: false };
      this.partitions.set(key, p);
    }
    p.pending++;
    p.ended = false;
    p.behind = behind;
    p.readAt = now;
    this.pending.set(batchId, { partition: p, key, newest: newestRecordMs });
  }

  /** A worker decoded the batch (unknown ids, e.g. HTTP submissions, are ignored). */
  decoded(batchId: number): void {
    const b = this.pending.get(batchId);
    if (b === undefined) return;
    this.pending.delete(batchId);
    const p = b.partition;
    p.pending--;
    if (b.newest > p.readTo) p.readTo = b.newest;
    if (b.newest > this.newest) this.newest = b.newest;
    if (p.ended && p.pending === 0 && this.partitions.get(b.key) === p) this.partitions.delete(b.key);
  }

  /** Nothing more of the partition will be read here (replay range done, or revoked). */
  end(key: string): void {
    const p = this.partitions.get(key);
    if (p === undefined) return;
    if (p.pending === 0) this.partitions.delete(key);
    else p.ended = true;
  }

  /**
   * Call once per tick, with a non-decreasing `now`. `stopped` tells whether a partition's fetching
   * is paused (backpressure, a hold): a paused partition with records left stays behind however long
   * it delivers nothing.
   */
  complete(now: number, stopped?: (key: string) => boolean): number {
    if (this.maxHoldMs <= 0) return now;
    this.record(now);
    let slowest = Number.POSITIVE_INFINITY;
    for (const [key, p] of this.partitions) {
      // Behind: read and not decoded yet, or records left to read at its last batch, unless it is
      // fetched and nothing came from it for a while (offsets no record fills, such as transaction
      // markers, look like records left for ever). A partition without record times (or none
      // decoded yet) cannot be placed: it holds nothing back.
      const behind = p.pending > 0 || (p.behind && (now - p.readAt < STALE_MS || stopped?.(key) === true));
      if (behind && p.readTo > 0 && p.readTo < slowest) slowest = p.readTo;
    }
    let c = now;
    slowest += this.slackMs;
    if (slowest !== Number.POSITIVE_INFINITY && slowest < this.newest) {
      // The latest sample whose newest record time every lagging partition has reached.
      c = now - this.maxHoldMs;
      for (let i = this.size - 1; i >= 0; i--) {
        const at = (this.start + i) % this.walls.length;
        if ((this.newests[at] as number) <= slowest) {
          c = Math.max(c, this.walls[at] as number);
          break;
        }
      }
    }
    if (c < this.last) c = this.last;
    if (c > now) c = now;
    this.last = c;
    return c;
  }

  private record(now: number): void {
    const n = this.walls.length;
    if (this.size === n) {
      this.start = (this.start + 1) % n;
      this.size--;
    }
    const at = (this.start + this.size) % n;
    this.walls[at] = now;
    this.newests[at] = this.newest;
    this.size++;
  }
}
