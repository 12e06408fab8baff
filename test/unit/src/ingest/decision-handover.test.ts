import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DecisionHandover } from '../../../../src/ingest/decision-handover.js';
import type { TopicPartition } from '../../../../src/source/kafka/consumer.js';
import type { ReadResult } from '../../../../src/source/kafka/decisions.js';
import { createLogger } from '../../../../src/telemetry/logger.js';
import { Metrics } from '../../../../src/telemetry/metrics.js';
import type { SeedDecisionsMessage } from '../../../../workers/protocol.js';

function setUp(read: (partitions: readonly number[], sinceMs: number) => Promise<ReadResult>) {
  const events: string[] = [];
  const seeds: Array<[number, SeedDecisionsMessage]> = [];
  const reads: Array<{ partitions: readonly number[]; sinceMs: number }> = [];
  const metrics = new Metrics();
  const handover = new DecisionHandover({
    keyedTopic: 'keyed',
    reader: {
      read: (partitions, sinceMs) => {
        reads.push({ partitions, sinceMs });
        events.push(`read ${partitions.join(',')}`);
        return read(partitions, sinceMs);
      },
    },
    source: {
      hold: (parts: TopicPartition[]) => events.push(`hold ${parts.map((p) => `${p.topic}/${p.partition}`).join(',')}`),
      release: (parts: TopicPartition[]) => events.push(`release ${parts.map((p) => `${p.topic}/${p.partition}`).join(',')}`),
    },
    workerOf: (_t, p) => p % 2,
    seed: (worker, msg) => {
      seeds.push([worker, msg]);
      events.push(`seed worker ${worker}`);
    },
    ttlMs: 60_000,
    timeoutMs: 1_000,
    metrics,
    log: createLogger('silent'),
  });
  return { handover, events, seeds, reads, metrics };
}

const decisions = (keys: string[], keep: boolean[]) => ({ keys, keep, policies: keep.map((k) => (k ? 'error' : 'coin')) });

describe('DecisionHandover', () => {
  it('holds new keyed partitions, reads the last TTL of their decisions, seeds each partition’s worker, then releases them', async () => {
    const now = Date.now();
    const { handover, events, seeds, reads } = setUp(async () => ({
      byPartition: new Map([
        [4, decisions(['a', 'b'], [true, false])],
        [5, decisions(['c'], [true])],
        [6, decisions(['d'], [false])],
      ]),
      malformed: 0,
    }));
    handover.onAssign([
      { topic: 'keyed', partition: 4 },
      { topic: 'keyed', partition: 5 },
      { topic: 'keyed', partition: 6 },
      { topic: 'other', partition: 1 },
    ]);
    assert.deepEqual(events, ['hold keyed/4,keyed/5,keyed/6'], 'held at once; another topic’s partition is not');
    await handover.settled();
    assert.deepEqual(events.slice(1), ['read 4,5,6', 'seed worker 0', 'seed worker 1', 'release keyed/4,keyed/5,keyed/6']);
    assert.ok(Math.abs((reads[0]?.sinceMs ?? 0) - (now - 60_000)) < 1_000, 'from one TTL ago');
    const byWorker = new Map(seeds.map(([w, m]) => [w, m]));
    assert.deepEqual(byWorker.get(0), {
      type: 'seed-decisions',
      keys: ['a', 'b', 'd'],
      keep: [true, false, false],
      policies: ['error', 'coin', 'coin'],
    });
    assert.deepEqual(byWorker.get(1), { type: 'seed-decisions', keys: ['c'], keep: [true], policies: ['error'] });
  });

  it('a failed read releases the partitions anyway (nothing lost) and is counted', async () => {
    const { handover, events, seeds, metrics } = setUp(async () => {
      throw new Error('broker gone');
    });
    handover.onAssign([{ topic: 'keyed', partition: 1 }]);
    await handover.settled();
    assert.deepEqual(events, ['hold keyed/1', 'read 1', 'release keyed/1']);
    assert.equal(seeds.length, 0);
    const text = await metrics.registry.metrics();
    assert.match(text, /tracefold_decision_log_total\{event="restore_failed"\} 1/);
  });

  it('assignments are restored one after another, in order', async () => {
    let finishFirst: () => void = () => undefined;
    let n = 0;
    const { handover, events } = setUp(
      (partitions) =>
        new Promise<ReadResult>((resolve) => {
          const r = { byPartition: new Map([[partitions[0] as number, decisions(['x'], [true])]]), malformed: 0 };
          if (n++ === 0) finishFirst = () => resolve(r);
          else resolve(r);
        }),
    );
    handover.onAssign([{ topic: 'keyed', partition: 0 }]);
    handover.onAssign([{ topic: 'keyed', partition: 1 }]);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(events, ['hold keyed/0', 'hold keyed/1', 'read 0']);
    finishFirst();
    await handover.settled();
    assert.deepEqual(events.slice(3), ['seed worker 0', 'release keyed/0', 'read 1', 'seed worker 1', 'release keyed/1']);
  });
});
