/**
 * The worker pipeline glue, driven only through its public methods (onBatch, onForward, onTick,
 * drain) with a null sink, observed only through the messages it posts and forwards.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { shardOf } from '../../../workers/assemble/shard.js';
import { Pipeline } from '../../../workers/pipeline.js';
import type {
  BatchMessage,
  CounterSample,
  DeadLetterRecord,
  DecodedMessage,
  PipelineCounter,
  StatsMessage,
  WorkerSettings,
  WorkerToCoordinator,
} from '../../../workers/protocol.js';
import { batchOf } from '../../helpers/batch.js';
import { testWorkerSettings } from '../../helpers/worker-settings.js';

const T0 = Date.parse('2026-12-01T10:00:00Z');

interface TestSpan {
  traceId: string;
  id: string;
  name: string;
  timestamp: number;
  duration: number;
  localEndpoint: { serviceName: string };
}

const traceId = (n: number): string => n.toString(16).padStart(16, '0');

function span(trace: string, n: number, service = 'frontend'): TestSpan {
  return {
    traceId: trace,
    id: (0x1000 + n).toString(16).padStart(16, '0'),
    name: 'get',
    timestamp: T0 * 1000 + n,
    duration: 5,
    localEndpoint: { serviceName: service },
  };
}

const json = (spans: TestSpan[]): Uint8Array => new TextEncoder().encode(JSON.stringify(spans));

/** A batch of records (one per value) from topic t, partition 3, offsets from 100. */
const batch = (values: Uint8Array[]): BatchMessage => batchOf(values, { partition: 3, firstOffset: 100 });

/** One pipeline and everything it posted and forwarded. */
class Harness {
  readonly posted: WorkerToCoordinator[] = [];
  readonly forwarded: Array<{ peer: number; data: ArrayBuffer }> = [];
  readonly pipeline: Pipeline;

  constructor(worker = 0, workers = 1, settings: WorkerSettings = testWorkerSettings()) {
    this.pipeline = new Pipeline(
      worker,
      workers,
      settings,
      (m) => this.posted.push(m),
      (peer, data) => this.forwarded.push({ peer, data }),
    );
    this.pipeline.onTick(T0);
  }

  of<K extends WorkerToCoordinator['type']>(type: K): Extract<WorkerToCoordinator, { type: K }>[] {
    return this.posted.filter((m): m is Extract<WorkerToCoordinator, { type: K }> => m.type === type);
  }

  decoded(batchId: number): DecodedMessage {
    const d = this.of('decoded').filter((m) => m.batchId === batchId);
    assert.equal(d.length, 1, `exactly one decoded answer for batch ${batchId}`);
    return d[0] as DecodedMessage;
  }

  resolved(batchId: number): number {
    let n = 0;
    for (const r of this.of('resolved')) {
      for (let i = 0; i < r.batchIds.length; i++) if (r.batchIds[i] === batchId) n += r.counts[i] as number;
    }
    return n;
  }

  deadLetters(batchId: number): DeadLetterRecord[] {
    return this.of('dead-letter').flatMap((m) => m.records.filter((r) => r.batchId === batchId));
  }

  /** Sum of one counter over every stats report, optionally for one label value. */
  counter(name: PipelineCounter, label?: { encoding?: string; reason?: string }): number {
    let n = 0;
    for (const s of this.of('stats') as StatsMessage[]) {
      for (const c of s.counters as CounterSample[]) {
        if (c.name !== name) continue;
        const labels = c.labels as { encoding?: string; reason?: string };
        if (label?.encoding !== undefined && labels.encoding !== label.encoding) continue;
        if (label?.reason !== undefined && labels.reason !== label.reason) continue;
        n += c.value;
      }
    }
    return n;
  }
}

/** Whole-trace mode: a sampling policy (that keeps everything) makes documents wait in their windows. */
const WHOLE_TRACE: WorkerSettings['sample'] = { policies: [{ type: 'probabilistic', name: 'all', rate: 1 }], tagKept: false };

/** Lets the null sink's microtask flush run. */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('Pipeline: decoded and resolved accounting', () => {
  it('answers decoded with one unit per kept span plus one per dead letter, and resolves exactly those units', async () => {
    const h = new Harness(0, 1, testWorkerSettings({ filter: { dropServices: ['noise'] }, sample: WHOLE_TRACE }));
    const a = traceId(1);
    const b = traceId(2);
    const bad = new TextEncoder().encode('{"this is": not a span list');
    const msg = batch([json([span(a, 1), span(a, 2)]), bad, json([span(b, 3), span(b, 4, 'noise'), span(b, 5)])]);
    const badBytes = bad.slice();
    h.pipeline.onBatch(msg);

    const d = h.decoded(msg.batchId);
    assert.equal(d.spans, 5, 'spans decoded before filtering');
    assert.equal(d.errors, 1);
    assert.equal(typeof d.firstError, 'string');
    assert.equal(d.units, 4 + 1, 'four spans kept (one filtered) and one dead letter');

    const dl = h.deadLetters(msg.batchId);
    assert.equal(dl.length, 1);
    const rec = dl[0] as DeadLetterRecord;
    assert.deepEqual([...rec.value], [...badBytes], 'the original bytes, copied out of the batch');
    assert.deepEqual({ topic: rec.sourceTopic, partition: rec.partition, offset: rec.offset }, { topic: 't', partition: 3, offset: 101 });
    assert.ok(rec.code.length > 0 && rec.reason.length > 0, 'a code and a reason');

    // Spans wait in their windows: nothing is resolved until a flush.
    await settle();
    assert.equal(h.resolved(msg.batchId), 0);
    await h.pipeline.drain();
    await settle();
    assert.equal(h.resolved(msg.batchId) + dl.length, d.units, 'resolved units plus dead letters add up to the decoded units');

    assert.equal(h.counter('spans_decoded', { encoding: 'json-v2' }), 5);
    assert.equal(h.counter('spans_filtered'), 1);
    assert.equal(h.counter('decode_errors'), 1);
    assert.equal(h.counter('traces_flushed'), 2);
    assert.equal(h.counter('spans_flushed'), 4);
  });

  it('an empty record is counted and creates no unit: its batch is done at once', async () => {
    const h = new Harness();
    const msg = batch([new Uint8Array(0)]);
    h.pipeline.onBatch(msg);
    assert.equal(h.decoded(msg.batchId).units, 0);
    assert.deepEqual(h.deadLetters(msg.batchId), []);
    await h.pipeline.drain();
    assert.equal(h.counter('messages_empty'), 1);
  });

  it('a record over maxMessageBytes is dead-lettered as too_large without being decoded', async () => {
    const settings = testWorkerSettings();
    settings.maxMessageBytes = 64;
    const h = new Harness(0, 1, settings);
    const msg = batch([json([span(traceId(3), 1), span(traceId(3), 2)])]);
    h.pipeline.onBatch(msg);
    assert.deepEqual(
      { ...h.decoded(msg.batchId), firstError: undefined },
      { type: 'decoded', batchId: msg.batchId, units: 1, spans: 0, errors: 1, firstError: undefined },
    );
    assert.equal(h.deadLetters(msg.batchId)[0]?.code, 'too_large');
    await h.pipeline.drain();
    assert.equal(h.counter('decode_errors', { encoding: 'unknown', reason: 'too_large' }), 1);
  });
});

/**
 * Two workers and one RPC of a trace worker 1 owns: the client span (decoded by worker 0) has a child,
 * the server span (decoded by worker 1), so Zipkin links the RPC once, at the server; alone, either
 * span would link differently (the client by itself, the server not at all).
 */
function splitRpc(seed: number): { h0: Harness; h1: Harness; client: TestSpan; server: TestSpan } {
  const t = Array.from({ length: 64 }, (_, i) => traceId(seed + i)).find((x) => shardOf(x, 2) === 1) as string;
  const client = { ...span(t, 1, 'frontend'), kind: 'CLIENT', remoteEndpoint: { serviceName: 'backend' } };
  const server = { ...span(t, 2, 'backend'), kind: 'SERVER', parentId: client.id };
  return { h0: new Harness(0, 2), h1: new Harness(1, 2), client, server };
}

describe('Pipeline: sharding by trace', () => {
  it('forwards spans of traces another worker owns, and that worker resolves them', async () => {
    const workers = 2;
    const h0 = new Harness(0, workers, testWorkerSettings({ sample: WHOLE_TRACE }));
    const h1 = new Harness(1, workers, testWorkerSettings({ sample: WHOLE_TRACE }));
    const traces = Array.from({ length: 16 }, (_, i) => traceId(1000 + i));
    const owned = traces.filter((t) => shardOf(t, workers) === 0);
    const foreign = traces.filter((t) => shardOf(t, workers) === 1);
    assert.ok(owned.length > 0 && foreign.length > 0, 'both workers own some of the traces');
    const msg = batch(traces.map((t, i) => json([span(t, 2 * i), span(t, 2 * i + 1)])));
    h0.pipeline.onBatch(msg);

    assert.equal(h0.decoded(msg.batchId).units, 2 * traces.length);
    assert.equal(h0.forwarded.length, 1, 'one forward message per peer and batch');
    assert.equal(h0.forwarded[0]?.peer, 1);
    for (const f of h0.forwarded) h1.pipeline.onForward(f.data);

    await h0.pipeline.drain();
    await h1.pipeline.drain();
    await settle();
    assert.equal(h0.resolved(msg.batchId), 2 * owned.length, 'the decoding worker resolves the spans it owns');
    assert.equal(h1.resolved(msg.batchId), 2 * foreign.length, 'the owner resolves the forwarded spans');
    assert.equal(h0.counter('spans_forwarded'), 2 * foreign.length);
    assert.equal(h1.counter('spans_flushed'), 2 * foreign.length);
    assert.equal(h1.of('decoded').length, 0, 'only the decoding worker answers decoded');
  });

  it('written through (keep-all), the decoding worker resolves every span and forwards only facts', async () => {
    const workers = 2;
    const h0 = new Harness(0, workers);
    const h1 = new Harness(1, workers);
    const traces = Array.from({ length: 16 }, (_, i) => traceId(2000 + i));
    const foreign = traces.filter((t) => shardOf(t, workers) === 1);
    const msg = batch(traces.map((t, i) => json([span(t, 2 * i), span(t, 2 * i + 1)])));
    h0.pipeline.onBatch(msg);
    for (const f of h0.forwarded) h1.pipeline.onForward(f.data);
    await settle();
    assert.equal(h0.resolved(msg.batchId), 2 * traces.length, 'written before any window closes');
    await h0.pipeline.drain();
    await h1.pipeline.drain();
    await settle();
    assert.equal(h1.resolved(msg.batchId), 0, 'the owner holds no unit: it only assembles facts');
    assert.equal(h1.counter('spans_flushed'), 2 * foreign.length);
  });

  it('written through with dependency links off, a span leaves nothing behind: no window, no forward, no links', async () => {
    const workers = 2;
    const h0 = new Harness(0, workers, testWorkerSettings({ dependencies: false }));
    const traces = Array.from({ length: 16 }, (_, i) => traceId(3000 + i));
    const client = (t: string, n: number) => ({ ...span(t, n, 'frontend'), kind: 'CLIENT', remoteEndpoint: { serviceName: 'backend' } });
    const msg = batch(traces.map((t, i) => json([span(t, 2 * i), client(t, 2 * i + 1)])));
    h0.pipeline.onBatch(msg);
    await settle();
    assert.equal(h0.resolved(msg.batchId), 2 * traces.length, 'every span written at once');
    assert.equal(h0.forwarded.length, 0, 'nothing forwarded to the trace owners');
    await h0.pipeline.drain();
    const stats = h0.of('stats').at(-1) as StatsMessage;
    assert.equal(stats.gauges.bufferedSpans, 0);
    assert.equal(h0.counter('spans_flushed'), 0, 'no trace window was ever opened');
    assert.equal(h0.of('links').length, 0, 'no dependency links');

    // The same traffic with links on: every span also goes to its trace's window, and links are counted.
    const on = new Harness(0, workers, testWorkerSettings({ dependencies: true }));
    on.pipeline.onBatch(batch(traces.map((t, i) => json([span(t, 2 * i), client(t, 2 * i + 1)]))));
    await on.pipeline.drain();
    assert.ok(on.forwarded.length > 0 && on.counter('spans_flushed') > 0);
    assert.ok(on.of('links').length > 0);
  });

  it('written through, facts forwarded from another worker join the owner’s own spans and are linked as one trace', async () => {
    const { h0, h1, client, server } = splitRpc(5000);
    h0.pipeline.onBatch(batch([json([client])]));
    assert.equal(h0.forwarded.length, 1, 'the client span’s facts go to the trace’s owner');
    for (const f of h0.forwarded) h1.pipeline.onForward(f.data);
    h1.pipeline.onBatch(batch([json([server])]));
    await h0.pipeline.drain();
    await h1.pipeline.drain();
    const edges = (h: Harness) => h.of('links').flatMap((m) => m.edges.map((e) => e.join(' ')));
    assert.deepEqual(edges(h1), ['frontend backend 1 0']);
    assert.deepEqual(edges(h0), []);
    assert.equal(h1.counter('spans_flushed'), 2);
    const stats = h1.of('stats').at(-1) as StatsMessage;
    assert.equal(stats.gauges.bufferedSpans, 0, 'nothing left buffered after the drain');
  });

  it('a drain waits for the forward messages it is told of, so they join their traces instead of coming late', async () => {
    const { h0, h1, client, server } = splitRpc(6000);
    const msg = batch([json([client])]);
    h0.pipeline.onBatch(msg);
    assert.deepEqual(h0.decoded(msg.batchId).forwardedTo, [1], 'decoded names the peer it forwarded to');
    h1.pipeline.onBatch(batch([json([server])]));
    // The drain overtakes the forward (different ports): it must hold the flush until the forward is in.
    let drained = false;
    const draining = h1.pipeline.drain(1).then(() => {
      drained = true;
    });
    await settle();
    assert.equal(drained, false, 'still waiting for the forward');
    for (const f of h0.forwarded) h1.pipeline.onForward(f.data);
    await draining;
    const edges = h1.of('links').flatMap((m) => m.edges.map((e) => e.join(' ')));
    assert.deepEqual(edges, ['frontend backend 1 0'], 'linked as one trace');
    assert.equal(h1.counter('spans_late'), 0);
  });

  it('whole-trace mode with dependency links off still assembles and samples every trace', async () => {
    const h = new Harness(0, 1, testWorkerSettings({ dependencies: false, sample: WHOLE_TRACE }));
    const msg = batch([json([span(traceId(0xc1), 1), span(traceId(0xc1), 2), span(traceId(0xc2), 3)])]);
    h.pipeline.onBatch(msg);
    await settle();
    assert.equal(h.resolved(msg.batchId), 0, 'documents wait for their trace');
    await h.pipeline.drain();
    await settle();
    assert.equal(h.resolved(msg.batchId), 3);
    assert.equal(h.counter('traces_sampled'), 2);
    assert.equal(h.of('links').length, 0);
  });
});

describe('Pipeline: late spans', () => {
  it('a span arriving after its trace was flushed follows the trace decision (kept: written at once)', async () => {
    const h = new Harness(0, 1, testWorkerSettings({ sample: WHOLE_TRACE }));
    const late = traceId(77);
    const first = batch([json([span(late, 1), span(late, 2)])]);
    h.pipeline.onBatch(first);
    await h.pipeline.drain();
    await settle();
    assert.equal(h.resolved(first.batchId), 2);

    const again = batch([json([span(late, 3)])]);
    const fresh = batch([json([span(traceId(78), 4)])]);
    h.pipeline.onBatch(again);
    h.pipeline.onBatch(fresh);
    await settle();
    assert.equal(h.resolved(again.batchId), 1, 'the late span is written without waiting for a window');
    assert.equal(h.resolved(fresh.batchId), 0, 'a span of a new trace still waits in its window');

    h.pipeline.onTick(T0 + 1_500);
    await settle();
    assert.equal(h.resolved(fresh.batchId), 1, 'flushed after its quiet time');
    assert.equal(h.counter('spans_late', { reason: 'kept' }), 1);
    assert.equal(h.counter('spans_late', { reason: 'dropped' }), 0);
  });
});

describe('Pipeline: stage 2 decision log', () => {
  /** Keeps traces with an error, drops every other one. */
  const ERRORS_ONLY: WorkerSettings['sample'] = {
    policies: [
      { type: 'error', name: 'error' },
      { type: 'probabilistic', name: 'none', rate: 0 },
    ],
    tagKept: false,
  };
  const failed = (s: TestSpan): TestSpan & { tags: Record<string, string> } => ({ ...s, tags: { error: 'boom' } });

  it('posts each flushed trace’s decision, on its keyed partition, before any resolution of its spans', async () => {
    const h = new Harness(0, 1, testWorkerSettings({ stage: 'assemble', sample: ERRORS_ONLY }));
    const kept = traceId(0xa1);
    const dropped = traceId(0xa2);
    const msg = batch([json([failed(span(kept, 1)), span(kept, 2)]), json([span(dropped, 3)])]);
    h.pipeline.onBatch(msg);
    await h.pipeline.drain();
    await settle();
    const logged = h.of('decisions');
    assert.equal(logged.length, 1, 'one message for the traces flushed together');
    const d = logged[0] as Extract<WorkerToCoordinator, { type: 'decisions' }>;
    assert.deepEqual(
      d.keys.map((k, i) => [k, d.partitions[i], d.keep[i], d.policies[i]]),
      [
        [kept, 3, true, 'error'],
        [dropped, 3, false, 'sampled_out'],
      ],
    );
    const firstResolved = h.posted.findIndex((m) => m.type === 'resolved' && m.batchIds.includes(msg.batchId));
    assert.ok(firstResolved > h.posted.indexOf(d), 'the decisions come before the resolutions they cover');
    assert.equal(h.resolved(msg.batchId), 3);
    assert.equal(h.counter('decisions_logged'), 2);
  });

  it('a single-process node logs no decisions (its traces never change owner)', async () => {
    const h = new Harness(0, 1, testWorkerSettings({ sample: ERRORS_ONLY }));
    h.pipeline.onBatch(batch([json([span(traceId(0xa3), 1)])]));
    await h.pipeline.drain();
    assert.equal(h.of('decisions').length, 0);
  });

  it('spans of a trace whose decision was restored follow it instead of being decided again as a fragment', async () => {
    const restoredKept = traceId(0xb1);
    const restoredDropped = traceId(0xb2);
    const unknown = traceId(0xb3);
    const rest = (): BatchMessage => batch([json([span(restoredKept, 5), span(restoredDropped, 6), span(unknown, 7)])]);

    // Without the restored decisions, the fragments (no error span among them) are all dropped.
    const before = new Harness(0, 1, testWorkerSettings({ stage: 'assemble', sample: ERRORS_ONLY }));
    const b0 = rest();
    before.pipeline.onBatch(b0);
    await before.pipeline.drain();
    await settle();
    assert.equal(before.counter('spans_sampled', {}), 3);
    assert.equal(before.counter('spans_late'), 0);

    const h = new Harness(0, 1, testWorkerSettings({ stage: 'assemble', sample: ERRORS_ONLY }));
    h.pipeline.onSeedDecisions({
      type: 'seed-decisions',
      keys: [restoredKept, restoredDropped],
      keep: [true, false],
      policies: ['error', 'sampled_out'],
    });
    const b = rest();
    h.pipeline.onBatch(b);
    await settle();
    assert.equal(h.counter('spans_late', { reason: 'kept' }) + h.counter('spans_late', { reason: 'dropped' }), 0, 'not reported yet');
    assert.equal(h.resolved(b.batchId), 2, 'the two spans with a restored decision are written / dropped at once');
    await h.pipeline.drain();
    await settle();
    assert.equal(h.counter('spans_late', { reason: 'kept' }), 1);
    assert.equal(h.counter('spans_late', { reason: 'dropped' }), 1);
    assert.equal(h.counter('decisions_restored'), 2);
    assert.equal(h.counter('traces_sampled'), 1, 'only the trace without a restored decision is decided here');
    assert.equal(h.resolved(b.batchId), 3);
  });
});

describe('Pipeline: stats', () => {
  it('reports the time its thread was paused in garbage collection', async () => {
    const h = new Harness(0, 1, testWorkerSettings());
    // Enough short-lived garbage for several young-generation collections.
    let keep = 0;
    for (let i = 0; i < 2_000_000; i++) keep += { i, s: `x${i}` }.s.length;
    assert.ok(keep > 0);
    await new Promise((r) => setTimeout(r, 20));
    await h.pipeline.drain();
    const paused = h.of('stats').reduce((n, s) => n + s.gcPauseMs, 0);
    assert.ok(paused > 0, `GC pauses reported (${paused} ms)`);
    // The heap it reports is this isolate's: the garbage above came and went, the heap is still there.
    const g = h.of('stats').at(-1)?.gauges;
    assert.ok(g !== undefined && g.heapUsedBytes > 1_000_000 && g.heapTotalBytes >= g.heapUsedBytes, JSON.stringify(g));
    await h.pipeline.close();
  });

  it('reports typed counter samples and gauges on a tick at most once a second, and on drain', async () => {
    const h = new Harness(0, 1, testWorkerSettings({ window: { quietMs: 5_000 } }));
    // The harness's first tick (T0) already reported: nothing was counted yet.
    assert.deepEqual(
      h.of('stats').map((r) => r.counters),
      [[]],
    );
    const msg = batch([json([span(traceId(5), 1), span(traceId(5), 2), span(traceId(6), 3)])]);
    h.pipeline.onBatch(msg);
    h.pipeline.onTick(T0 + 999);
    assert.equal(h.of('stats').length, 1, 'no report within a second of the last');
    h.pipeline.onTick(T0 + 1_000);
    const reports = h.of('stats');
    assert.equal(reports.length, 2);
    const s = reports[1] as StatsMessage;
    assert.deepEqual(s.counters, [{ name: 'spans_decoded', labels: { encoding: 'json-v2' }, value: 3 }]);
    assert.deepEqual(s.gauges, {
      bufferedSpans: 3,
      bufferedTraces: 2,
      bufferedBytes: s.gauges.bufferedBytes,
      bulkInFlight: 0,
      sinkFailingMs: 0,
      heapUsedBytes: s.gauges.heapUsedBytes,
      heapTotalBytes: s.gauges.heapTotalBytes,
      externalBytes: s.gauges.externalBytes,
    });
    assert.ok(s.gauges.bufferedBytes > 0);
    assert.equal(s.sinkFailure, null);
    h.pipeline.onTick(T0 + 1_500);
    assert.equal(h.of('stats').length, 2, 'no further report within the interval');
    await h.pipeline.drain();
    const last = h.of('stats').at(-1) as StatsMessage;
    assert.equal(h.of('stats').length, 3, 'drain reports at once');
    assert.equal(last.gauges.bufferedSpans, 0);
  });
});
