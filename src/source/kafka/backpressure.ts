/**
 * Backpressure policy: which partitions the consumer should pause or resume, as deltas.
 *
 * Pure and stateful only in its hysteresis: the coordinator feeds it the current load (from the
 * commit watermark and the workers' stats) every time it wants a decision; it answers with the
 * partitions whose state changes. Every rule pauses at a high-water mark and releases only below a
 * low-water mark, so a load hovering between the two never makes a partition flap.
 *
 * A partition is paused while any of these holds (reasons are tracked separately, so one releasing
 * does not resume a partition another still holds):
 *   - global:  outstanding bytes or messages reached their high water, or the sink is failing;
 *              released once both are below low water and the sink is healthy;
 *   - queue:   the input queue of the worker the partition feeds reached `highQueue` (any worker's,
 *              for partitions without a known worker); released below `lowQueue`;
 *   - share:   the budget is contended (total bytes ≥ `lowBytes`) and this partition's own bytes
 *              reached its share `highBytes * shareFactor / n`; released below
 *              `lowBytes * shareFactor / n`. A hot partition is not throttled while memory is
 *              plentiful, but cannot take the whole budget and starve the others when it is not.
 */
import { partitionKey } from './partition-key.js';
import type { TopicPartition } from './watermark.js';

export interface PartitionLoad extends TopicPartition {
  /** Outstanding (undone) bytes / messages of this partition. */
  bytes: number;
  messages: number;
  /** The worker this partition's batches are dispatched to, when fixed. */
  worker?: number;
}

export interface BackpressureInput {
  /** Every currently assigned partition, paused or not. Partitions missing here are forgotten. */
  partitions: readonly PartitionLoad[];
  totalBytes: number;
  totalMessages: number;
  /** Batches received and not yet decoded, per worker. */
  workerQueues: readonly number[];
  sinkFailing: boolean;
}

export interface BackpressureOptions {
  highBytes: number;
  lowBytes: number;
  highMessages: number;
  lowMessages: number;
  highQueue: number;
  lowQueue: number;
  /** Multiple of the fair share (budget / partitions) one partition may hold when contended. */
  shareFactor: number;
}

export const BACKPRESSURE_DEFAULTS: BackpressureOptions = {
  highBytes: 256 * 1024 * 1024,
  lowBytes: 192 * 1024 * 1024,
  highMessages: 500_000,
  lowMessages: 375_000,
  highQueue: 16,
  lowQueue: 8,
  shareFactor: 2,
};

export interface BackpressureDecision {
  pause: TopicPartition[];
  resume: TopicPartition[];
}

export type PauseReason = 'global' | 'queue' | 'share';

const GLOBAL = 1;
const QUEUE = 2;
const SHARE = 4;

interface PartitionState {
  tp: TopicPartition;
  reasons: number;
  /** Generation of the last update that listed this partition. */
  seen: number;
}

export class Backpressure {
  private readonly opts: BackpressureOptions;
  private globalHigh = false;
  private queueHigh: boolean[] = [];
  private readonly parts = new Map<string, PartitionState>();
  private generation = 0;

  constructor(options: Partial<BackpressureOptions> = {}) {
    const o = { ...BACKPRESSURE_DEFAULTS, ...options };
    for (const [high, low] of [
      ['highBytes', 'lowBytes'],
      ['highMessages', 'lowMessages'],
      ['highQueue', 'lowQueue'],
    ] as const) {
      if (!(o[low] >= 0 && o[high] > o[low])) {
        throw new RangeError(`backpressure.${low} must be ≥ 0 and below backpressure.${high}, got ${o[low]} and ${o[high]}`);
      }
    }
    if (!(o.shareFactor >= 1)) throw new RangeError(`backpressure.shareFactor must be ≥ 1, got ${o.shareFactor}`);
    this.opts = o;
  }

  /** Computes the new pause state from the current load; returns only the changes. */
  update(input: BackpressureInput): BackpressureDecision {
    const o = this.opts;
    const gen = ++this.generation;
    const pause: TopicPartition[] = [];
    const resume: TopicPartition[] = [];

    this.globalHigh = this.globalHigh
      ? !(input.totalBytes < o.lowBytes && input.totalMessages < o.lowMessages && !input.sinkFailing)
      : input.totalBytes >= o.highBytes || input.totalMessages >= o.highMessages || input.sinkFailing;

    const queues = input.workerQueues;
    if (this.queueHigh.length !== queues.length) this.queueHigh = queues.map(() => false);
    let anyQueueHigh = false;
    for (let w = 0; w < queues.length; w++) {
      const q = queues[w] as number;
      const high = this.queueHigh[w] ? q >= o.lowQueue : q >= o.highQueue;
      this.queueHigh[w] = high;
      if (high) anyQueueHigh = true;
    }

    const n = input.partitions.length;
    const shareHigh = (o.highBytes * o.shareFactor) / n;
    const shareLow = (o.lowBytes * o.shareFactor) / n;
    const contended = input.totalBytes >= o.lowBytes;

    for (const load of input.partitions) {
      const k = partitionKey(load.topic, load.partition);
      let state = this.parts.get(k);
      if (state === undefined) {
        state = { tp: { topic: load.topic, partition: load.partition }, reasons: 0, seen: gen };
        this.parts.set(k, state);
      }
      state.seen = gen;
      let reasons = 0;
      if (this.globalHigh) reasons |= GLOBAL;
      if (load.worker === undefined ? anyQueueHigh : this.queueHigh[load.worker] === true) reasons |= QUEUE;
      if ((state.reasons & SHARE) !== 0 ? load.bytes >= shareLow : contended && load.bytes >= shareHigh) reasons |= SHARE;
      if (reasons !== 0 && state.reasons === 0) pause.push(state.tp);
      else if (reasons === 0 && state.reasons !== 0) resume.push(state.tp);
      state.reasons = reasons;
    }

    // Partitions no longer assigned: the consumer dropped them (and their pause state) already.
    if (this.parts.size > n) {
      for (const [k, state] of this.parts) if (state.seen !== gen) this.parts.delete(k);
    }
    return { pause, resume };
  }

  /** Forget a partition's pause state (call on revoke and assign: a fresh assignment starts unpaused). */
  forget(topic: string, partition: number): void {
    this.parts.delete(partitionKey(topic, partition));
  }

  isPaused(topic: string, partition: number): boolean {
    return (this.parts.get(partitionKey(topic, partition))?.reasons ?? 0) !== 0;
  }

  /** Why a partition is paused (empty when it is not): for the admin port and logs. */
  reasons(topic: string, partition: number): PauseReason[] {
    const r = this.parts.get(partitionKey(topic, partition))?.reasons ?? 0;
    const out: PauseReason[] = [];
    if (r & GLOBAL) out.push('global');
    if (r & QUEUE) out.push('queue');
    if (r & SHARE) out.push('share');
    return out;
  }

  /** Paused partitions (gauge). */
  get pausedCount(): number {
    let n = 0;
    for (const state of this.parts.values()) if (state.reasons !== 0) n++;
    return n;
  }
}
