/**
 * Stage 2 (`--stage assemble`): which worker assembles each assigned partition. A partition of the
 * trace-keyed topic holds whole traces, so sending all of it to one worker means no span is ever
 * forwarded between workers. The mapping is fixed while the partition stays assigned (a trace's
 * spans must meet), and new partitions go to the worker with the fewest, so any assignor's choice
 * (range, round-robin, sticky) spreads evenly — `partition mod workers` would not (round-robin can
 * give one node only even partitions).
 */

import { partitionKey } from '../source/kafka/partition-key.js';

export interface TopicPartitionRef {
  topic: string;
  partition: number;
}

export class PartitionWorkers {
  private readonly owner = new Map<string, number>();
  private readonly load: number[];

  constructor(readonly workers: number) {
    this.load = new Array<number>(workers).fill(0);
  }

  /** Maps newly assigned partitions (in partition order, so a node's mapping is reproducible). */
  assign(parts: readonly TopicPartitionRef[]): void {
    const fresh = parts.filter((p) => !this.owner.has(partitionKey(p.topic, p.partition)));
    fresh.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
    for (const p of fresh) {
      let best = 0;
      for (let w = 1; w < this.workers; w++) if ((this.load[w] as number) < (this.load[best] as number)) best = w;
      this.owner.set(partitionKey(p.topic, p.partition), best);
      this.load[best] = (this.load[best] as number) + 1;
    }
  }

  /** Forgets revoked partitions (call once their work is finished). */
  release(parts: readonly TopicPartitionRef[]): void {
    for (const p of parts) {
      const k = partitionKey(p.topic, p.partition);
      const w = this.owner.get(k);
      if (w === undefined) continue;
      this.owner.delete(k);
      this.load[w] = (this.load[w] as number) - 1;
    }
  }

  /** The partition's worker; a partition delivered before its assignment was seen is mapped now. */
  workerOf(topic: string, partition: number): number {
    const w = this.owner.get(partitionKey(topic, partition));
    if (w !== undefined) return w;
    this.assign([{ topic, partition }]);
    return this.owner.get(partitionKey(topic, partition)) as number;
  }

  /** Partitions per worker. */
  get loads(): readonly number[] {
    return this.load;
  }
}
