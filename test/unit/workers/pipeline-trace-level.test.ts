/**
 * The worker pipeline with trace-level stages: write-through when nothing waits for the trace,
 * documents held until the sampling decision otherwise, `tracefold.sampled` on kept spans, and
 * every unit of every batch resolved either way (written, or dropped by a counted policy).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { encodeJsonV2 } from '../../../core/codec/encode/json-v2.js';
import type { Span } from '../../../core/model/span.js';
import { Pipeline } from '../../../workers/pipeline.js';
import type {
  BatchMessage,
  SamplePolicySettings,
  TraceCheckSettings,
  WorkerSettings,
  WorkerToCoordinator,
} from '../../../workers/protocol.js';
import { batchOf } from '../../helpers/batch.js';
import { testWorkerSettings } from '../../helpers/worker-settings.js';

function settings(
  path: string,
  policies: SamplePolicySettings[],
  traceCheck?: TraceCheckSettings,
  window?: Partial<WorkerSettings['window']>,
): WorkerSettings {
  return testWorkerSettings({
    sample: { policies, tagKept: true },
    ...(window ? { window } : {}),
    ...(traceCheck ? { traceCheck } : {}),
    sink: { kind: 'file', filePath: path, bulkMaxInFlight: 1 },
  });
}

const T0 = 1_700_000_000_000_000;

/** A two-span trace `front get / → back query`; `error` marks the child failed. */
function trace(n: number, opts: { error?: boolean; name?: string } = {}): Span[] {
  const traceId = n.toString(16).padStart(16, '0');
  return [
    { traceId, id: 'a'.repeat(16), name: 'get /', kind: 'SERVER', timestamp: T0, duration: 900, localEndpoint: { serviceName: 'front' } },
    {
      traceId,
      parentId: 'a'.repeat(16),
      id: 'b'.repeat(16),
      name: opts.name ?? 'query',
      kind: 'CLIENT',
      timestamp: T0 + 10,
      duration: 500,
      localEndpoint: { serviceName: 'back' },
      ...(opts.error ? { tags: { error: 'timeout' } } : {}),
    },
  ];
}

const batch = (messages: Span[][]): BatchMessage => batchOf(messages.map((m) => encodeJsonV2(m)));

interface Run {
  docs: Array<Record<string, unknown>>;
  decodedUnits: number;
  resolvedUnits: number;
  deadLetters: string[];
  messages: WorkerToCoordinator[];
}

async function run(
  policies: SamplePolicySettings[],
  batches: Span[][][],
  traceCheck?: TraceCheckSettings,
  beforeDrain?: (p: Pipeline, posted: WorkerToCoordinator[], path: string) => Promise<void>,
  window?: Partial<WorkerSettings['window']>,
): Promise<Run> {
  const dir = await mkdtemp(join(tmpdir(), 'tf-pipeline-'));
  const path = join(dir, 'out.ndjson');
  const messages: WorkerToCoordinator[] = [];
  const p = new Pipeline(
    0,
    1,
    settings(path, policies, traceCheck, window),
    (m) => messages.push(m),
    () => assert.fail('one worker forwards nothing'),
  );
  try {
    p.onTick(Date.now());
    for (const b of batches) p.onBatch(batch(b));
    if (beforeDrain) await beforeDrain(p, messages, path);
    await p.drain();
    const text = await readFile(path, 'utf8').catch(() => '');
    const lines = text.split('\n').filter(Boolean);
    const docs = lines.filter((_, i) => i % 2 === 1).map((l) => JSON.parse(l) as Record<string, unknown>);
    let decodedUnits = 0;
    let resolvedUnits = 0;
    const deadLetters: string[] = [];
    for (const m of messages) {
      if (m.type === 'decoded') decodedUnits += m.units;
      if (m.type === 'resolved') resolvedUnits += m.counts.reduce((a, b) => a + b, 0);
      if (m.type === 'dead-letter') for (const r of m.records) deadLetters.push(r.code);
    }
    return { docs, decodedUnits, resolvedUnits, deadLetters, messages };
  } finally {
    await p.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const tagsOf = (d: Record<string, unknown>): Record<string, string> => (d.tags ?? {}) as Record<string, string>;

describe('pipeline: trace-level stages', () => {
  it('keep-all writes through: documents reach the sink before any window flushes, untagged', async () => {
    const r = await run([], [[trace(1), trace(2)]], undefined, async (_p, _posted, path) => {
      // No tick has passed the quiet time: whatever is in the file was written through.
      for (let i = 0; i < 100; i++) {
        const text = await readFile(path, 'utf8').catch(() => '');
        if (text.split('\n').filter(Boolean).length === 8) return;
        await new Promise((res) => setTimeout(res, 10));
      }
      assert.fail('documents were not written through before the drain');
    });
    assert.equal(r.docs.length, 4);
    assert.ok(r.docs.every((d) => tagsOf(d)['tracefold.sampled'] === undefined));
    assert.equal(r.resolvedUnits, r.decodedUnits);
  });

  it('errors and rare shapes kept with their policy; the rest dropped and still resolved', async () => {
    const traces = [trace(1), trace(2), trace(3, { error: true }), trace(4), trace(5, { name: 'other' })];
    const r = await run(
      [
        { type: 'error', name: 'error' },
        { type: 'shape', name: 'shape', perInterval: 1, intervalMs: 60_000 },
      ],
      [traces],
    );
    const kept = new Map<string, string>();
    for (const d of r.docs) kept.set(d.traceId as string, tagsOf(d)['tracefold.sampled'] as string);
    assert.deepEqual(
      [...kept].sort(),
      [
        ['0000000000000001', 'shape'],
        ['0000000000000003', 'error'],
        ['0000000000000005', 'shape'],
      ].sort(),
    );
    assert.equal(r.docs.length, 6);
    // The policy is in _q as well, where Zipkin's tag search looks.
    const q = r.docs.find((d) => d.traceId === '0000000000000003')?._q as string[];
    assert.ok(q.includes('tracefold.sampled=error'), JSON.stringify(q));
    assert.equal(r.resolvedUnits, r.decodedUnits, 'dropped spans resolve their units');
    assert.equal(r.decodedUnits, 10);
  });

  it('late spans follow their trace decision', async () => {
    const [root7, child7] = trace(7);
    const [root8, child8] = trace(8, { error: true });
    const r = await run([{ type: 'error', name: 'error' }], [[[root7 as Span, child8 as Span]]], undefined, async (p) => {
      p.onTick(Date.now() + 5000); // both windows flush: 7 sampled out, 8 kept (its child failed)
      p.onBatch(batch([[child7 as Span, root8 as Span]]));
    });
    const ids = r.docs.map((d) => `${d.traceId}/${d.id}`).sort();
    assert.deepEqual(ids, [`0000000000000008/${'a'.repeat(16)}`, `0000000000000008/${'b'.repeat(16)}`]);
    assert.equal(r.resolvedUnits, r.decodedUnits);
    // Late spans are counted with the decision that covered them.
    const sampled: Record<string, number> = {};
    for (const m of r.messages) {
      if (m.type !== 'stats') continue;
      for (const c of m.counters) {
        if (c.name === 'spans_sampled')
          sampled[`${c.labels.policy}/${c.labels.decision}`] = (sampled[`${c.labels.policy}/${c.labels.decision}`] ?? 0) + c.value;
      }
    }
    assert.deepEqual(sampled, { 'error/kept': 2, 'sampled_out/dropped': 2 });
  });

  it('a slow trace whose children go quiet before its root arrives is decided whole (rootlessQuietMs)', async () => {
    // Spans are reported as they end: the children of a 20 ms trace arrive first and the trace goes
    // quiet (1 s here) before its root does. Decided on the children alone (100 µs), it is not slow.
    const [root, child] = trace(9);
    const slowRoot = { ...(root as Span), duration: 20_000 };
    const fastChild = { ...(child as Span), duration: 100 };
    const slow: SamplePolicySettings[] = [
      { type: 'slow', name: 'slow', thresholdMs: 2, quantile: 0.95, intervalMs: 60_000, minSamples: 1 },
    ];
    const quietThenRoot = async (p: Pipeline): Promise<void> => {
      p.onTick(Date.now() + 5_000);
      p.onBatch(batch([[slowRoot]]));
    };
    const waited = await run(slow, [[[fastChild]]], undefined, quietThenRoot, { quietMs: 1_000, rootlessQuietMs: 10_000 });
    assert.deepEqual(waited.docs.map((d) => `${d.id}:${tagsOf(d)['tracefold.sampled']}`).sort(), [
      `${'a'.repeat(16)}:slow`,
      `${'b'.repeat(16)}:slow`,
    ]);
    assert.equal(waited.resolvedUnits, waited.decodedUnits);
    // Not waiting for the root (rootlessQuietMs ≤ quietMs): the children decide, the root follows.
    const hasty = await run(slow, [[[fastChild]]], undefined, quietThenRoot, { quietMs: 1_000, rootlessQuietMs: 0 });
    assert.deepEqual(hasty.docs, []);
    assert.equal(hasty.resolvedUnits, hasty.decodedUnits);
  });

  it('mixed 64/128-bit IDs with fix: the 64-bit spans are written with the 128-bit ID and say so', async () => {
    const long = `463ac35c9f6413ad${'0'.repeat(15)}9`;
    const [a, b] = trace(9);
    const r = await run([], [[[{ ...(a as Span), traceId: long }, b as Span]]], { duplicateSpanId: 'off', mixedTraceId: 'fix' });
    assert.deepEqual(
      r.docs.map((d) => d.traceId),
      [long, long],
    );
    const fixed = r.docs.find((d) => d.id === 'b'.repeat(16));
    assert.equal(tagsOf(fixed as Record<string, unknown>)['tracefold.fixed'], 'mixed_trace_id');
    assert.equal(tagsOf(r.docs.find((d) => d.id === 'a'.repeat(16)) as Record<string, unknown>)['tracefold.fixed'], undefined);
    assert.equal(r.resolvedUnits, r.decodedUnits);
  });

  it('duplicate span IDs quarantined: the dead-letter record names the rule and resolves its unit', async () => {
    const [a, b] = trace(10);
    const dup = { ...(b as Span), duration: 777 };
    const r = await run([], [[[a as Span, b as Span], [dup]]], { duplicateSpanId: 'quarantine', mixedTraceId: 'off' });
    assert.equal(r.docs.length, 2);
    assert.deepEqual(r.deadLetters, ['duplicate_span_id']);
    // The dead-letter unit is resolved by the coordinator once Kafka acknowledges it.
    assert.equal(r.resolvedUnits + r.deadLetters.length, r.decodedUnits);
  });
});

describe('pipeline: reconfigure', () => {
  it('switching from a policy to keep-all writes what waited and writes new spans through, untagged', async () => {
    const r = await run([{ type: 'error', name: 'error' }], [[trace(20)]], undefined, async (p, _posted) => {
      p.reconfigure({
        filter: { dropServices: [], dropSpanNames: [], dropTags: {}, rules: [] },
        check: { rules: [] },
        traceCheck: { duplicateSpanId: 'off', mixedTraceId: 'off' },
        sample: { policies: [], tagKept: true },
      });
      p.onBatch(batch([trace(21)]));
    });
    assert.equal(r.docs.length, 4);
    const tags = r.docs.map((d) => `${d.traceId}:${tagsOf(d)['tracefold.sampled'] ?? '-'}`).sort();
    assert.deepEqual(tags, ['0000000000000014:-', '0000000000000014:-', '0000000000000015:-', '0000000000000015:-']);
    assert.equal(r.resolvedUnits, r.decodedUnits);
  });

  it('a new filter applies to the next batch', async () => {
    const r = await run([], [[trace(30)]], undefined, async (p) => {
      p.reconfigure({
        filter: { dropServices: ['back'], dropSpanNames: [], dropTags: {}, rules: [] },
        check: { rules: [] },
        traceCheck: { duplicateSpanId: 'off', mixedTraceId: 'off' },
        sample: { policies: [], tagKept: true },
      });
      p.onBatch(batch([trace(31)]));
    });
    assert.deepEqual(r.docs.map((d) => `${d.traceId}/${(d.localEndpoint as { serviceName: string }).serviceName}`).sort(), [
      '000000000000001e/back',
      '000000000000001e/front',
      '000000000000001f/front',
    ]);
  });
});
