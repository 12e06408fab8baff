import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { FlowControl, type PausableSource } from '../../../../src/ingest/flow-control.js';
import { SinkHealth } from '../../../../src/ingest/sink-health.js';
import { WorkerStats } from '../../../../src/ingest/worker-stats.js';
import type { TopicPartition } from '../../../../src/source/kafka/consumer.js';
import { CommitWatermark } from '../../../../src/source/kafka/watermark.js';
import { Metrics } from '../../../../src/telemetry/metrics.js';
import type { StatsMessage } from '../../../../workers/protocol.js';

const silent = pino({ level: 'silent' });

/** Records what flow control asks of the consumer. */
class FakeSource implements PausableSource {
  readonly paused = new Set<number>();
  constructor(private readonly parts: TopicPartition[]) {}
  assignments(): TopicPartition[] {
    return this.parts;
  }
  pause(parts: TopicPartition[]): void {
    for (const p of parts) this.paused.add(p.partition);
  }
  resume(parts: TopicPartition[]): void {
    for (const p of parts) this.paused.delete(p.partition);
  }
  get pausedCount(): number {
    return this.paused.size;
  }
}

const stats = (worker: number, sinkFailingMs: number): StatsMessage => ({
  type: 'stats',
  worker,
  counters: [],
  gauges: {
    bufferedSpans: 0,
    bufferedTraces: 0,
    bufferedBytes: 0,
    bulkInFlight: 0,
    sinkFailingMs,
    heapUsedBytes: 0,
    heapTotalBytes: 0,
    externalBytes: 0,
  },
  sinkFailure: sinkFailingMs > 0 ? 'connect ECONNREFUSED 127.0.0.1:9200' : null,
  bulkLatencies: [],
  gcPauseMs: 0,
});

function setup() {
  const metrics = new Metrics();
  const watermark = new CommitWatermark();
  const sinkHealth = new SinkHealth(60_000, silent);
  const workerStats = new WorkerStats(metrics, sinkHealth);
  const flow = new FlowControl(
    { maxOutstandingBytes: 1_000_000, maxOutstandingMessages: 1_000, lowWaterRatio: 0.5 },
    watermark,
    metrics,
    silent,
  );
  const source = new FakeSource([
    { topic: 't', partition: 0 },
    { topic: 't', partition: 1 },
  ]);
  const apply = (): void => flow.apply(source, { workerQueues: [0, 0], sinkFailing: sinkHealth.failing });
  return { metrics, watermark, workerStats, source, apply };
}

describe('FlowControl: the sink-failing rule, fed by worker stats', () => {
  it('pauses every partition while a worker reports failing writes and resumes once it succeeds again', async () => {
    const { metrics, watermark, workerStats, source, apply } = setup();
    // A little outstanding work, far below every water mark: only the sink can pause.
    watermark.register('t', 0, 1, 0, 9, 10, 100);
    apply();
    assert.deepEqual([...source.paused], [], 'healthy sink: nothing paused');

    workerStats.onStats(1, stats(1, 1500));
    apply();
    assert.deepEqual([...source.paused].sort(), [0, 1], 'writes failing on one worker: all partitions paused');
    assert.match(await metrics.registry.metrics(), /^tracefold_partitions_paused 2$/m);

    workerStats.onStats(0, stats(0, 0));
    apply();
    assert.deepEqual([...source.paused].sort(), [0, 1], 'another worker being healthy does not release the pause');

    workerStats.onStats(1, stats(1, 0));
    apply();
    assert.deepEqual([...source.paused], [], 'writes succeed again: resumed');
    assert.match(await metrics.registry.metrics(), /^tracefold_partitions_paused 0$/m);
  });

  it('keeps partitions paused after the sink recovers while outstanding work is still above low water', () => {
    const { watermark, workerStats, source, apply } = setup();
    workerStats.onStats(0, stats(0, 10));
    apply();
    assert.equal(source.paused.size, 2);
    // 600 outstanding messages: below the high mark (1000) but above low water (500).
    watermark.register('t', 0, 1, 0, 599, 600, 6_000);
    workerStats.onStats(0, stats(0, 0));
    apply();
    assert.equal(source.paused.size, 2, 'hysteresis: not resumed above low water');
    watermark.decoded(1, 600);
    watermark.resolve(1, 600);
    apply();
    assert.equal(source.paused.size, 0);
  });
});

describe('SinkHealth', () => {
  it('is failing from the first failed report, down only past the limit, and recovers per worker', () => {
    const h = new SinkHealth(3_000, silent);
    assert.equal(h.failing, false);
    h.report(0, 100, 'timeout');
    assert.equal(h.failing, true);
    assert.equal(h.down(), undefined);
    h.report(1, 4_000, 'refused');
    h.report(0, 3_500, 'timeout');
    assert.deepEqual(h.down(), { failingForMs: 4_000, reason: 'refused' });
    h.report(1, 0, null);
    assert.deepEqual(h.down(), { failingForMs: 3_500, reason: 'timeout' });
    h.report(0, 0, null);
    assert.equal(h.failing, false);
    assert.equal(h.down(), undefined);
  });
});

describe('WorkerStats', () => {
  it('sets the worker input-queue gauge from the pool counts', async () => {
    const { metrics, workerStats } = setup();
    workerStats.onQueues([3, 0]);
    const text = await metrics.registry.metrics();
    assert.match(text, /^tracefold_worker_input_queue\{worker="0"\} 3$/m);
    assert.match(text, /^tracefold_worker_input_queue\{worker="1"\} 0$/m);
  });
});
