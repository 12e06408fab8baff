/**
 * The two-stage topology inside a worker: stage 1 (rekey) turns a batch into one keyed Proto3
 * record per trace and counts one unit per record; stage 2 (assemble) keeps every span it receives
 * (no forwarding) and reports traces that show up on two partitions.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeProto3 } from '../../../core/codec/decode/proto3.js';
import { Pipeline } from '../../../workers/pipeline.js';
import type { BatchMessage, WorkerSettings, WorkerToCoordinator } from '../../../workers/protocol.js';
import { batchOf } from '../../helpers/batch.js';
import { testWorkerSettings } from '../../helpers/worker-settings.js';

const T0 = Date.parse('2026-12-01T10:00:00Z');
const traceId = (n: number): string => n.toString(16).padStart(16, '0');
const span = (trace: string, n: number) => ({
  traceId: trace,
  id: (0x1000 + n).toString(16).padStart(16, '0'),
  name: 'get',
  timestamp: T0 * 1000 + n,
  duration: 5,
  localEndpoint: { serviceName: 'frontend' },
});
const json = (spans: unknown[]): Uint8Array => new TextEncoder().encode(JSON.stringify(spans));

const batch = (values: Uint8Array[], partition = 3): BatchMessage => batchOf(values, { partition });

function harness(worker: number, workers: number, settings: WorkerSettings) {
  const posted: Array<{ msg: WorkerToCoordinator; transfer: ArrayBuffer[] | undefined }> = [];
  const forwarded: number[] = [];
  const pipeline = new Pipeline(
    worker,
    workers,
    settings,
    (msg, transfer) => posted.push({ msg, transfer }),
    (peer) => forwarded.push(peer),
  );
  pipeline.onTick(T0);
  const of = <K extends WorkerToCoordinator['type']>(type: K) =>
    posted.map((p) => p.msg).filter((m): m is Extract<WorkerToCoordinator, { type: K }> => m.type === type);
  return { pipeline, posted, forwarded, of };
}

describe('stage 1: rekey', () => {
  it('turns a batch into one keyed Proto3 record per trace, one unit each, transferred', () => {
    const h = harness(0, 2, testWorkerSettings({ stage: 'rekey' }));
    const a = traceId(0xa1);
    const b = traceId(0xb2);
    const b128 = `00000000deadbeef${b}`;
    h.pipeline.onBatch(batch([json([span(a, 1), span(b, 2)]), json([span(a, 3), span(b128, 4)]), new Uint8Array([1, 2, 3])]));
    const decoded = h.of('decoded');
    assert.equal(decoded.length, 1);
    // Two traces plus the undecodable record's dead letter.
    assert.equal(decoded[0]?.units, 3);
    const rekeyed = h.of('rekeyed');
    assert.equal(rekeyed.length, 1);
    const r = rekeyed[0];
    assert.ok(r);
    assert.deepEqual(r.keys, [a, b]);
    const entry = h.posted.find((p) => p.msg.type === 'rekeyed');
    assert.deepEqual(entry?.transfer?.length, 2, 'data and ends are transferred');
    const bytes = new Uint8Array(r.data);
    const first = decodeProto3(bytes.subarray(0, r.ends[0]));
    const second = decodeProto3(bytes.subarray(r.ends[0], r.ends[1]));
    assert.deepEqual(
      first.spans.map((s) => s.id),
      [span(a, 1).id, span(a, 3).id],
    );
    assert.deepEqual(
      second.spans.map((s) => s.traceId),
      [b, b128],
    );
    assert.equal(h.of('dead-letter').length, 1);
    assert.equal(h.of('resolved').length, 0, 'nothing resolves before Kafka acknowledges the records');
  });

  it('a batch whose spans are all filtered has no units and no records', () => {
    const h = harness(0, 1, testWorkerSettings({ stage: 'rekey', filter: { dropServices: ['frontend'] } }));
    h.pipeline.onBatch(batch([json([span(traceId(1), 1)])]));
    assert.equal(h.of('decoded')[0]?.units, 0);
    assert.equal(h.of('rekeyed').length, 0);
  });
});

describe('stage 2: assemble', () => {
  it('forwards nothing: every span a worker receives is its own', async () => {
    const h = harness(0, 2, testWorkerSettings({ stage: 'assemble' }));
    const spans = Array.from({ length: 64 }, (_, i) => span(traceId(i + 1), i));
    h.pipeline.onBatch(batch([json(spans)]));
    assert.deepEqual(h.forwarded, []);
    assert.equal(h.of('decoded')[0]?.units, 64);
    await h.pipeline.drain();
    const resolved = h.of('resolved').reduce((n, m) => n + m.counts.reduce((x, y) => x + y, 0), 0);
    assert.equal(resolved, 64);
    assert.equal(h.of('keying').length, 0);
  });

  it('reports traces met on two partitions (input not keyed by trace ID)', async () => {
    const h = harness(0, 1, testWorkerSettings({ stage: 'assemble' }));
    h.pipeline.onBatch(batch([json([span(traceId(7), 1)])], 0));
    h.pipeline.onBatch(batch([json([span(traceId(7), 2)])], 5));
    await h.pipeline.drain();
    const keying = h.of('keying');
    assert.equal(keying.length, 1);
    assert.equal(keying[0]?.splitTraces, 1);
    assert.deepEqual(keying[0]?.example, { key: traceId(7), partitions: [0, 5] });
  });
});
