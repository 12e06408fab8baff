/**
 * Stage 2: carries sampling decisions across a change of partition owner. A newly assigned keyed
 * partition is held paused while the decisions its previous owner logged in the last late-decision
 * TTL are read back (source/kafka/decisions.ts) and handed to the worker that will assemble the
 * partition; then it is released. Spans of a trace whose first part the previous owner decided
 * then follow that decision, as late spans do on one node. If the log cannot be read in time the
 * partition is released anyway (nothing is lost; such traces are decided again as fragments, as
 * without the log) and the failure is logged and counted.
 */
import type { SeedDecisionsMessage } from '../../workers/protocol.js';
import type { KafkaSource, TopicPartition } from '../source/kafka/consumer.js';
import type { DecisionReader } from '../source/kafka/decisions.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';

export interface HandoverDeps {
  keyedTopic: string;
  reader: Pick<DecisionReader, 'read'>;
  source: Pick<KafkaSource, 'hold' | 'release'>;
  workerOf(topic: string, partition: number): number;
  seed(worker: number, msg: SeedDecisionsMessage): void;
  /** How far back decisions still matter: the workers' late-decision TTL. */
  ttlMs: number;
  timeoutMs: number;
  metrics: Metrics;
  log: Logger;
}

export class DecisionHandover {
  /** Reads run one after another, in assignment order. */
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly deps: HandoverDeps) {}

  /** Call from the source's `onAssign` (before the first fetch of the partitions). */
  onAssign(parts: readonly TopicPartition[]): void {
    const mine = parts.filter((p) => p.topic === this.deps.keyedTopic);
    if (mine.length === 0) return;
    this.deps.source.hold(mine);
    this.chain = this.chain.then(() => this.restore(mine));
  }

  /** Resolves once every restore started so far is done. */
  settled(): Promise<void> {
    return this.chain;
  }

  private async restore(parts: TopicPartition[]): Promise<void> {
    const { reader, source, metrics, log } = this.deps;
    const started = Date.now();
    try {
      const result = await reader.read(
        parts.map((p) => p.partition),
        started - this.deps.ttlMs,
        this.deps.timeoutMs,
      );
      if (result.malformed > 0) metrics.decisionLog.labels('malformed').inc(result.malformed);
      const perWorker = new Map<number, SeedDecisionsMessage>();
      let restored = 0;
      for (const [partition, d] of result.byPartition) {
        const worker = this.deps.workerOf(this.deps.keyedTopic, partition);
        let msg = perWorker.get(worker);
        if (msg === undefined) {
          msg = { type: 'seed-decisions', keys: [], keep: [], policies: [] };
          perWorker.set(worker, msg);
        }
        for (let i = 0; i < d.keys.length; i++) {
          msg.keys.push(d.keys[i] as string);
          msg.keep.push(d.keep[i] as boolean);
          msg.policies.push(d.policies[i] as string);
        }
        restored += d.keys.length;
      }
      for (const [worker, msg] of perWorker) this.deps.seed(worker, msg);
      log.info(
        { partitions: parts.map((p) => p.partition), decisions: restored, ms: Date.now() - started },
        'sampling decisions of the partitions’ previous owners restored',
      );
    } catch (err) {
      metrics.decisionLog.labels('restore_failed').inc();
      log.warn(
        { err: (err as Error).message, partitions: parts.map((p) => `${p.topic}/${p.partition}`) },
        'could not read the decision log: traces in flight on these partitions are decided again as fragments',
      );
    } finally {
      source.release(parts);
    }
  }
}
