/**
 * Per partition, the next offset consumed so far, and for a replay the fixed [start, end) ranges:
 * batches are clipped at their end, and the replay is consumed once every range reached it.
 */
import type { PartitionRange } from '../replay/plan.js';
import type { RawBatch } from '../source/kafka/consumer.js';
import { partitionKey } from '../source/kafka/partition-key.js';

/** Keeps only the records of a batch below `end` (the views share the transferred buffers). */
export function trimBatch(b: RawBatch, end: number): RawBatch {
  let n = 0;
  while (n < b.offsets.length && (b.offsets[n] as number) < end) n++;
  const ends = b.ends.subarray(0, n);
  return {
    ...b,
    ends,
    offsets: b.offsets.subarray(0, n),
    times: b.times.subarray(0, n),
    lastOffset: b.offsets[n - 1] as number,
    bytes: n > 0 ? (ends[n - 1] as number) : 0,
  };
}

export interface Clipped {
  /** The records to process, or undefined when none is in range. */
  batch: RawBatch | undefined;
  /** The partition's range is reached: stop fetching it. */
  reachedEnd: boolean;
}

export class ConsumePositions {
  private readonly next = new Map<string, number>();
  private readonly ends = new Map<string, number>();

  constructor(private readonly ranges: readonly PartitionRange[] = []) {
    for (const r of ranges) {
      this.ends.set(partitionKey(r.topic, r.partition), r.end);
      this.next.set(partitionKey(r.topic, r.partition), r.start);
    }
  }

  /** Replay: records at or past a range's fixed end are not ours. */
  clip(b: RawBatch): Clipped {
    const end = this.ends.get(partitionKey(b.topic, b.partition));
    if (end === undefined) return { batch: b, reachedEnd: false };
    const reachedEnd = b.lastOffset >= end - 1;
    if (b.firstOffset >= end) return { batch: undefined, reachedEnd };
    return { batch: b.lastOffset >= end ? trimBatch(b, end) : b, reachedEnd };
  }

  consumed(topic: string, partition: number, next: number): void {
    this.next.set(partitionKey(topic, partition), next);
  }

  /** Replay: the end of the partition's range (exclusive); undefined outside a replay. */
  endOf(topic: string, partition: number): number | undefined {
    return this.ends.get(partitionKey(topic, partition));
  }

  /** The next offset to consume, when anything of the partition was consumed (or a range starts there). */
  nextOffset(topic: string, partition: number): number | undefined {
    return this.next.get(partitionKey(topic, partition));
  }

  /** Every replay range is consumed up to its end (vacuously true outside a replay). */
  rangesConsumed(): boolean {
    for (const [k, target] of this.ends) {
      if ((this.next.get(k) ?? -1) < target) return false;
    }
    return true;
  }

  /** Replay progress: per range, the next offset consumed so far. */
  progress(): Array<PartitionRange & { next: number }> {
    return this.ranges.map((r) => ({ ...r, next: Math.min(r.end, this.nextOffset(r.topic, r.partition) ?? r.start) }));
  }
}
