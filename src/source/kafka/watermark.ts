/**
 * The commit watermark: the coordinator's side of the accounting model in workers/protocol.ts.
 *
 * Every dispatched batch is registered with its partition and offset range. The worker that decodes
 * it reports how many units it became (`decoded`); whoever resolves units (search-engine ack, counted
 * drop, dead-letter ack) reports them (`resolve`). A batch is done when its resolved units reach its
 * count. A partition may be committed up to `lastOffset + 1` of the longest prefix of its batches
 * (in offset order) that is done: never past a message that still has an unresolved unit.
 *
 * Orderings the model must tolerate:
 *   - `resolve` before `decoded`: a peer worker can write forwarded spans and report them before the
 *     decoding worker's `decoded` reaches the coordinator (different ports, no ordering). Resolved
 *     units accumulate until the count is known; the over-resolution check then runs at `decoded`.
 *   - batches of one partition completing out of order: done batches wait behind the oldest undone.
 *   - anything about a revoked partition arriving after `revoke`: ignored (and counted).
 * Accounting bugs (more units resolved than decoded, a batch decoded twice, an unknown batch id,
 * offsets out of order) throw an `AccountingError` carrying the batch and partition, before any
 * state changes: the coordinator must treat it as fatal, since a wrong watermark means loss.
 *
 * Batch ids must be assigned in increasing order (a counter): that is what lets an id at or below
 * the highest registered one that is neither tracked nor revoked be reported as a bug (a unit
 * resolved after its batch completed and was committed) rather than silently ignored.
 *
 * Pure logic: no Kafka client, no clock. Offsets are JS numbers (exact below 2^53).
 */

import { partitionKey } from './partition-key.js';

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface TopicPartitionOffset extends TopicPartition {
  /** The offset to commit: the next message to consume (Kafka's convention). */
  offset: number;
}

/** Work not yet done: totals of the batches whose units are not all resolved. */
export interface Outstanding {
  messages: number;
  bytes: number;
  batches: number;
}

export type AccountingErrorReason =
  | 'invalid_argument'
  | 'duplicate_batch'
  | 'batch_id_order'
  | 'offset_order'
  | 'unknown_batch'
  | 'decoded_twice'
  | 'over_resolved';

export interface AccountingContext {
  batchId?: number;
  topic?: string;
  partition?: number;
  firstOffset?: number;
  lastOffset?: number;
  /** Units the batch decoded into (-1 = not yet known). */
  units?: number;
  /** Units resolved before this call. */
  resolved?: number;
  /** The count (or units) this call tried to apply. */
  count?: number;
}

/** A violated accounting invariant: a bug somewhere in the pipeline, never a transient condition. */
export class AccountingError extends Error {
  readonly code = 'TF_ACCOUNTING';
  readonly reason: AccountingErrorReason;
  readonly context: AccountingContext;

  constructor(reason: AccountingErrorReason, message: string, context: AccountingContext) {
    super(`commit watermark: ${message}`);
    this.name = 'AccountingError';
    this.reason = reason;
    this.context = context;
  }
}

export interface CommitWatermarkOptions {
  /** How many revoked batch ids are remembered to tell late resolutions from bugs. [262144] */
  revokedMemory?: number;
}

class Batch {
  /** Units the batch decoded into; -1 until `decoded`. */
  units = -1;
  resolved = 0;
  done = false;
  constructor(
    readonly id: number,
    readonly part: PartitionState,
    readonly firstOffset: number,
    readonly lastOffset: number,
    readonly messages: number,
    readonly bytes: number,
  ) {}
}

class PartitionState {
  /** Registered, not yet committed-past batches in offset order; `queue[head]` is the oldest. */
  queue: Batch[] = [];
  head = 0;
  lastRegisteredOffset = -1;
  /** Offset that may be committed (next to consume), or -1 while nothing is done. */
  commitOffset = -1;
  /** Last offset handed out by `commitable()`, or -1. */
  reportedOffset = -1;
  outMessages = 0;
  outBytes = 0;
  undone = 0;
  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}
}

function isCount(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

export class CommitWatermark {
  private readonly batches = new Map<number, Batch>();
  private readonly partitions = new Map<string, PartitionState>();
  /** Partitions whose commit offset moved since the last `commitable()`. */
  private dirty: PartitionState[] = [];
  private maxBatchId = -1;
  private readonly revoked = new Set<number>();
  private revokedOrder: number[] = [];
  private revokedHead = 0;
  private readonly revokedMemory: number;
  private outMessages = 0;
  private outBytes = 0;
  private undone = 0;

  /** Resolutions/decodes dropped because their batch's partition was revoked (counter). */
  ignoredAfterRevoke = 0;

  constructor(options: CommitWatermarkOptions = {}) {
    this.revokedMemory = options.revokedMemory ?? 262_144;
    if (!isCount(this.revokedMemory)) throw new RangeError(`revokedMemory must be an integer ≥ 0, got ${this.revokedMemory}`);
  }

  /** Tracks a batch about to be dispatched. Batches of one partition must come in offset order. */
  register(
    topic: string,
    partition: number,
    batchId: number,
    firstOffset: number,
    lastOffset: number,
    messages: number,
    bytes: number,
  ): void {
    const ctx = { batchId, topic, partition, firstOffset, lastOffset };
    if (
      !isCount(batchId) ||
      !isCount(partition) ||
      !isCount(firstOffset) ||
      !isCount(lastOffset) ||
      !isCount(messages) ||
      !isCount(bytes)
    ) {
      throw new AccountingError('invalid_argument', `register: ids, offsets, messages and bytes must be integers ≥ 0`, ctx);
    }
    if (lastOffset < firstOffset) throw new AccountingError('invalid_argument', `register: lastOffset < firstOffset`, ctx);
    if (this.batches.has(batchId)) throw new AccountingError('duplicate_batch', `batch ${batchId} registered twice`, ctx);
    if (batchId <= this.maxBatchId) {
      throw new AccountingError('batch_id_order', `batch id ${batchId} not above the last registered ${this.maxBatchId}`, ctx);
    }
    const k = partitionKey(topic, partition);
    let part = this.partitions.get(k);
    if (part === undefined) {
      part = new PartitionState(topic, partition);
      this.partitions.set(k, part);
    } else if (firstOffset <= part.lastRegisteredOffset) {
      // A rewind (seek, redelivery) must go through revoke first, or the prefix would lie.
      throw new AccountingError(
        'offset_order',
        `${topic}[${partition}] batch starts at ${firstOffset}, not after ${part.lastRegisteredOffset}`,
        ctx,
      );
    }
    this.maxBatchId = batchId;
    const batch = new Batch(batchId, part, firstOffset, lastOffset, messages, bytes);
    this.batches.set(batchId, batch);
    part.queue.push(batch);
    part.lastRegisteredOffset = lastOffset;
    part.outMessages += messages;
    part.outBytes += bytes;
    part.undone++;
    this.outMessages += messages;
    this.outBytes += bytes;
    this.undone++;
  }

  /** The decoding worker's count of units for `batchId` (0: the batch is done). */
  decoded(batchId: number, units: number): void {
    const batch = this.lookup(batchId, 'decoded', units);
    if (batch === undefined) return;
    const ctx = this.context(batch, units);
    if (!isCount(units)) throw new AccountingError('invalid_argument', `decoded: units must be an integer ≥ 0`, ctx);
    if (batch.units !== -1) throw new AccountingError('decoded_twice', `batch ${batchId} decoded twice`, ctx);
    if (batch.resolved > units) {
      throw new AccountingError(
        'over_resolved',
        `batch ${batchId} decoded into ${units} units but ${batch.resolved} were already resolved`,
        ctx,
      );
    }
    batch.units = units;
    if (batch.resolved === units) this.complete(batch);
  }

  /** `count` units of `batchId` are resolved. Tolerates arriving before `decoded`. */
  resolve(batchId: number, count: number): void {
    if (count === 0) return;
    const batch = this.lookup(batchId, 'resolve', count);
    if (batch === undefined) return;
    if (!isCount(count)) throw new AccountingError('invalid_argument', `resolve: count must be an integer ≥ 0`, this.context(batch, count));
    if (batch.done || (batch.units !== -1 && batch.resolved + count > batch.units)) {
      throw new AccountingError(
        'over_resolved',
        `batch ${batchId} has ${batch.units} units, ${batch.resolved} resolved, cannot resolve ${count} more`,
        this.context(batch, count),
      );
    }
    batch.resolved += count;
    if (batch.resolved === batch.units) this.complete(batch);
  }

  /** A protocol `resolved` message: parallel arrays of batch ids and counts. */
  resolveMany(batchIds: readonly number[], counts: readonly number[]): void {
    if (batchIds.length !== counts.length) {
      throw new AccountingError('invalid_argument', `resolved message with ${batchIds.length} ids but ${counts.length} counts`, {});
    }
    for (let i = 0; i < batchIds.length; i++) this.resolve(batchIds[i] as number, counts[i] as number);
  }

  /**
   * Offsets to commit: for each partition whose done prefix grew since the last call, `lastOffset + 1`
   * of that prefix. With `all`, every partition that has any done prefix (shutdown, after a failed commit).
   */
  commitable(all = false): TopicPartitionOffset[] {
    const out: TopicPartitionOffset[] = [];
    if (all) {
      for (const part of this.partitions.values()) {
        if (part.commitOffset >= 0) out.push({ topic: part.topic, partition: part.partition, offset: part.commitOffset });
        part.reportedOffset = part.commitOffset;
      }
    } else {
      for (const part of this.dirty) {
        // A revoked partition is no longer in the map: its entry here is stale.
        if (part.commitOffset > part.reportedOffset && this.partitions.get(partitionKey(part.topic, part.partition)) === part) {
          out.push({ topic: part.topic, partition: part.partition, offset: part.commitOffset });
          part.reportedOffset = part.commitOffset;
        }
      }
    }
    this.dirty = [];
    return out;
  }

  /** The offset that may be committed for one partition now, or undefined if nothing of it is done. */
  position(topic: string, partition: number): number | undefined {
    const part = this.partitions.get(partitionKey(topic, partition));
    return part === undefined || part.commitOffset < 0 ? undefined : part.commitOffset;
  }

  /**
   * Forgets a partition (revoked or lost): its batches stop counting, and later `decoded`/`resolve`
   * for them are ignored. Take `position()` first to commit what is done. Returns what was forgotten.
   */
  revoke(topic: string, partition: number): Outstanding {
    const k = partitionKey(topic, partition);
    const part = this.partitions.get(k);
    if (part === undefined) return { messages: 0, bytes: 0, batches: 0 };
    this.partitions.delete(k);
    for (let i = part.head; i < part.queue.length; i++) {
      const batch = part.queue[i] as Batch;
      this.batches.delete(batch.id);
      this.rememberRevoked(batch.id);
    }
    const forgotten = { messages: part.outMessages, bytes: part.outBytes, batches: part.undone };
    this.outMessages -= part.outMessages;
    this.outBytes -= part.outBytes;
    this.undone -= part.undone;
    part.queue = [];
    part.head = 0;
    return forgotten;
  }

  /** Undone work of one partition (for per-partition backpressure). */
  outstanding(topic: string, partition: number): Outstanding {
    const part = this.partitions.get(partitionKey(topic, partition));
    if (part === undefined) return { messages: 0, bytes: 0, batches: 0 };
    return { messages: part.outMessages, bytes: part.outBytes, batches: part.undone };
  }

  totals(): Outstanding & { partitions: number } {
    return { messages: this.outMessages, bytes: this.outBytes, batches: this.undone, partitions: this.partitions.size };
  }

  /** True when every registered batch is done (all that remains is committing). */
  isIdle(): boolean {
    return this.undone === 0;
  }

  private lookup(batchId: number, op: 'decoded' | 'resolve', count: number): Batch | undefined {
    const batch = this.batches.get(batchId);
    if (batch !== undefined) return batch;
    if (this.revoked.has(batchId)) {
      this.ignoredAfterRevoke++;
      return undefined;
    }
    const why =
      Number.isSafeInteger(batchId) && batchId >= 0 && batchId <= this.maxBatchId
        ? 'already completed and committed (over-resolution), or never registered'
        : 'never registered';
    throw new AccountingError('unknown_batch', `${op} for batch ${batchId}: ${why}`, { batchId, count });
  }

  private context(batch: Batch, count: number): AccountingContext {
    return {
      batchId: batch.id,
      topic: batch.part.topic,
      partition: batch.part.partition,
      firstOffset: batch.firstOffset,
      lastOffset: batch.lastOffset,
      units: batch.units,
      resolved: batch.resolved,
      count,
    };
  }

  private complete(batch: Batch): void {
    batch.done = true;
    const part = batch.part;
    part.outMessages -= batch.messages;
    part.outBytes -= batch.bytes;
    part.undone--;
    this.outMessages -= batch.messages;
    this.outBytes -= batch.bytes;
    this.undone--;
    if (part.queue[part.head] !== batch) return;
    // The oldest batch is done: advance over it and every done batch behind it.
    const queue = part.queue;
    let head = part.head;
    let last = batch;
    while (head < queue.length) {
      const b = queue[head] as Batch;
      if (!b.done) break;
      this.batches.delete(b.id);
      last = b;
      head++;
    }
    if (head === queue.length) {
      part.queue = [];
      part.head = 0;
    } else if (head > 1024 && head * 2 > queue.length) {
      // Compact now and then so the array does not grow forever; amortised O(1) per batch.
      part.queue = queue.slice(head);
      part.head = 0;
    } else {
      part.head = head;
    }
    if (part.commitOffset === part.reportedOffset) this.dirty.push(part);
    part.commitOffset = last.lastOffset + 1;
  }

  private rememberRevoked(batchId: number): void {
    if (this.revokedMemory === 0) return;
    this.revoked.add(batchId);
    this.revokedOrder.push(batchId);
    if (this.revokedOrder.length - this.revokedHead > this.revokedMemory) {
      this.revoked.delete(this.revokedOrder[this.revokedHead] as number);
      this.revokedHead++;
      if (this.revokedHead > 4096 && this.revokedHead * 2 > this.revokedOrder.length) {
        this.revokedOrder = this.revokedOrder.slice(this.revokedHead);
        this.revokedHead = 0;
      }
    }
  }
}
