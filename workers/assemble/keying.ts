/**
 * Stage 2 (`--stage assemble`) relies on its input being keyed by trace ID: each trace in one
 * partition, each partition on one worker. This watches that promise: a trace key met on a second
 * partition means the topic is not keyed that way (a raw topic given by mistake, or a producer with
 * another key), and its traces are assembled in fragments. Bounded: the table starts over past its
 * capacity, so a split is missed at worst, never invented.
 */

/** A trace key already reported as split: counted once. */
const REPORTED = -1;

export interface Split {
  key: string;
  partitions: [number, number];
}

export class PartitionSpread {
  private seen = new Map<string, number>();

  constructor(private readonly capacity = 50_000) {}

  /** Records that a span of trace `key` came from `partition`; returns the split the first time one shows. */
  see(key: string, partition: number): Split | undefined {
    const before = this.seen.get(key);
    if (before === undefined) {
      if (this.seen.size >= this.capacity) this.seen = new Map();
      this.seen.set(key, partition);
      return undefined;
    }
    if (before === partition || before === REPORTED) return undefined;
    this.seen.set(key, REPORTED);
    return { key, partitions: [before, partition] };
  }
}
