import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SinkHealth } from '../../../../src/ingest/sink-health.js';
import { WorkerStats } from '../../../../src/ingest/worker-stats.js';
import { createLogger } from '../../../../src/telemetry/logger.js';
import { Metrics } from '../../../../src/telemetry/metrics.js';
import type { StatsMessage } from '../../../../workers/protocol.js';

const report = (worker: number, gcPauseMs: number): StatsMessage => ({
  type: 'stats',
  worker,
  counters: [{ name: 'spans_decoded', labels: { encoding: 'json-v2' }, value: 10 }],
  gauges: {
    bufferedSpans: 3,
    bufferedTraces: 1,
    bufferedBytes: 900,
    bulkInFlight: 0,
    sinkFailingMs: 0,
    heapUsedBytes: 40_000_000 + worker,
    heapTotalBytes: 60_000_000 + worker,
    externalBytes: 5_000_000 + worker,
  },
  sinkFailure: null,
  bulkLatencies: [],
  gcPauseMs,
});

describe('WorkerStats', () => {
  it('folds each worker’s GC pauses into tracefold_worker_gc_pause_seconds_total, per worker', async () => {
    const metrics = new Metrics();
    const stats = new WorkerStats(metrics, new SinkHealth(60_000, createLogger('silent')));
    stats.onStats(0, report(0, 250));
    stats.onStats(0, report(0, 50));
    stats.onStats(1, report(1, 0));
    const text = await metrics.registry.metrics();
    assert.match(text, /tracefold_worker_gc_pause_seconds_total\{worker="0"\} 0\.3\b/);
    assert.doesNotMatch(text, /tracefold_worker_gc_pause_seconds_total\{worker="1"\}/, 'no pause, no series');
    assert.match(text, /tracefold_buffered_spans\{worker="1"\} 3/);
    assert.match(text, /tracefold_worker_heap_bytes\{worker="1",kind="used"\} 40000001\n/);
    assert.match(text, /tracefold_worker_heap_bytes\{worker="1",kind="total"\} 60000001\n/);
    assert.match(text, /tracefold_worker_heap_bytes\{worker="0",kind="external"\} 5000000\n/);
    assert.equal(stats.totals.sum('spans_decoded'), 30);
  });
});
