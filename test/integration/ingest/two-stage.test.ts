/**
 * Issue #13's acceptance: the two-stage topology on one machine against the real broker and search
 * engine. 3 stage-1 nodes (`--stage rekey`) read a raw topic whose traces are scattered over 12
 * partitions (each message of a trace to another partition, no key: what reporters do); 2 stage-2
 * nodes (`--stage assemble`, 2 workers each) read the trace-keyed topic. Judged by:
 *  - the keyed topic: every record keyed by its spans' trace key, Proto3, each key on one partition;
 *  - one sampling decision per trace (the nodes' decision counters sum to the trace count) and, in
 *    the index, each trace stored whole or not at all, all its spans naming one policy
 *    (`tracefold.sampled`); nothing duplicated, nothing foreign;
 *  - then one node of each stage is SIGKILLed and the survivors take over its partitions and carry
 *    on with new traffic under the same checks;
 *  - then a stage-1 node joins while traffic flows: the keyed topic still holds every span of all
 *    three phases exactly once, and the new traces pass the same checks.
 * And a stage-2 handover between the two halves of every trace: the second half follows the decision
 * its first half got from the partition's previous owner (the decision log), one decision per trace.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeProto3 } from '../../../core/codec/decode/proto3.js';
import type { Span } from '../../../core/model/span.js';
import { deleteTopic, ensureTopics } from '../../../src/kafka/admin.js';
import { KafkaProducer } from '../../../src/kafka/producer.js';
import { traceKey } from '../../../workers/assemble/facts.js';
import { expectedIdentities, spanIdentity } from '../../helpers/identity.js';
import { committedTotal, readAllPartitions, topicEndTotal } from '../../helpers/kafka.js';
import { deleteIndices, scrollSources } from '../../helpers/search.js';
import { KAFKA, requireSearchEngine, uniqueName } from '../../helpers/servers.js';
import { freePort, LOG_DIR, logLines, metric, type Running, searchEnv, startTracefold, waitFor } from '../../helpers/tracefold.js';
import { syntheticTraces } from '../../helpers/traffic.js';

const PARTITIONS = 12;
const SAMPLED = 'tracefold.sampled';

/** Each message (2 spans) of a trace to the next partition: no trace stays on one partition. */
/**
 * A counter once it has reached `atLeast` and then stayed still across two worker reports (workers
 * report about once a second): a trace decided twice shows as a count above `atLeast` only if the
 * test also waits for reports still on their way.
 */
async function settledCount(what: string, read: () => Promise<number>, atLeast: number): Promise<number> {
  await waitFor(what, async () => (await read()) >= atLeast, 10_000, 250);
  const deadline = Date.now() + 30_000;
  for (let last = await read(); ; ) {
    await new Promise((r) => setTimeout(r, 2_500));
    const now = await read();
    if (now === last || Date.now() > deadline) return now;
    last = now;
  }
}

async function produceScattered(topic: string, traces: readonly Span[][], start: number): Promise<number> {
  const producer = await KafkaProducer.connect(KAFKA);
  let n = 0;
  try {
    const sends: Promise<number>[] = [];
    for (const t of traces) {
      for (let i = 0; i < t.length; i += 2) {
        const partition = (start + n++) % PARTITIONS;
        sends.push(producer.send({ topic, partition, value: Buffer.from(JSON.stringify(t.slice(i, i + 2))) }));
      }
    }
    await Promise.all(sends);
  } finally {
    await producer.close();
  }
  return n;
}

/** Partitions a node owns, from its /health (0 while it is not up). */
async function assignments(port: number): Promise<number> {
  try {
    const h = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { details?: { assignments?: string[] } };
    return h.details?.assignments?.length ?? 0;
  } catch {
    return 0;
  }
}

interface StoredSpan {
  identity: string;
  traceId: string;
  policy: string | undefined;
}

async function storedSpans(indexPattern: string): Promise<StoredSpan[]> {
  return (await scrollSources(indexPattern, ['traceId', 'id', 'kind', 'shared', 'tags'])).map((source) => {
    const tags = (source.tags ?? {}) as Record<string, string>;
    return { identity: spanIdentity(source), traceId: String(source.traceId), policy: tags[SAMPLED] };
  });
}

/**
 * Every trace stored whole with one policy, or not at all; nothing stored twice or from elsewhere.
 * Returns how many traces were kept.
 */
function judge(what: string, traces: readonly Span[][], stored: readonly StoredSpan[]): number {
  const byIdentity = new Map<string, StoredSpan[]>();
  for (const s of stored) byIdentity.set(s.identity, [...(byIdentity.get(s.identity) ?? []), s]);
  // A real trace may report one span twice with different content: two documents by design.
  const expected = expectedIdentities(traces);
  const duplicated = [...byIdentity.entries()]
    .filter(([k, v]) => expected.has(k) && v.length > (expected.get(k) as number))
    .map(([k]) => k);
  assert.deepEqual(duplicated.slice(0, 10), [], `${what}: no span stored twice`);
  let kept = 0;
  const partial: string[] = [];
  const mixed: string[] = [];
  for (const t of traces) {
    const ids = [...new Set(t.map((s) => spanIdentity(s)))];
    const found = ids.filter((id) => byIdentity.has(id));
    if (found.length === 0) continue;
    kept++;
    if (found.length !== ids.length) partial.push(`${t[0]?.traceId}: ${found.length}/${ids.length} spans`);
    const policies = new Set(found.map((id) => byIdentity.get(id)?.[0]?.policy));
    if (policies.size !== 1 || policies.has(undefined)) mixed.push(`${t[0]?.traceId}: ${[...policies].join(',')}`);
  }
  assert.deepEqual(partial.slice(0, 10), [], `${what}: every kept trace is stored whole`);
  assert.deepEqual(mixed.slice(0, 10), [], `${what}: every stored span of a trace names one policy`);
  return kept;
}

interface TwoStage {
  raw: string;
  keyed: string;
  group: string;
  index: string;
  /** A config file: sampling `error`, then a probabilistic policy, with `tracefold.sampled` tags. */
  config: string;
}

/** Fresh raw and keyed topics, group and index names, and the sampling config of one test. */
async function setUp(name: string, coin: string, rate: number): Promise<TwoStage> {
  const raw = uniqueName(`tf-${name}`);
  const keyed = `${raw}.by-trace`;
  const group = uniqueName(`tf-${name}-group`);
  const index = uniqueName(`tf${name}`);
  await ensureTopics(KAFKA, [
    { topic: raw, partitions: PARTITIONS },
    { topic: keyed, partitions: PARTITIONS },
  ]);
  mkdirSync(LOG_DIR, { recursive: true });
  const config = join(LOG_DIR, `${index}.yaml`);
  writeFileSync(
    config,
    [
      'sample:',
      '  tagKept: true',
      '  policies:',
      '    - type: error',
      '    - type: probabilistic',
      `      name: ${coin}`,
      `      rate: ${rate}`,
      '',
    ].join('\n'),
  );
  return { raw, keyed, group, index, config };
}

test('two-stage topology: 3 rekey + 2 assemble nodes assemble every trace whole, and survive losing a node of each stage', {
  timeout: 240_000,
}, async () => {
  await requireSearchEngine();
  // `error` first: a trace fragment without its failed span would get the coin's decision, so a
  // trace assembled in pieces shows as a partial trace or two policies in the index.
  const { raw, keyed, group, index, config } = await setUp('2stage', 'coin', 0.5);
  const env = {
    KAFKA_BOOTSTRAP_SERVERS: KAFKA,
    KAFKA_TOPIC: raw,
    ...searchEnv(index),
  };
  const common = [
    'ingest',
    '--config',
    config,
    '--kafka-group-id',
    group,
    '--kafka-commit-interval-ms',
    '500ms',
    '--window-quiet-ms',
    '2s',
    '--window-max-window-ms',
    '20s',
    '--kafka-property',
    'session.timeout.ms=6000',
    '--kafka-property',
    'heartbeat.interval.ms=1000',
  ];
  const nodes: Array<Running & { name: string; port: number }> = [];
  const start = async (name: string, stage: 'rekey' | 'assemble', workers: number): Promise<void> => {
    const port = await freePort();
    const args = [...common, '--stage', stage, '--workers', String(workers), '--admin-port', String(port)];
    // Several members on one host: each needs its own static member id.
    nodes.push({
      ...startTracefold(args, { ...env, TRACEFOLD_KAFKA_GROUP_INSTANCE_ID: `${group}-${name}` }, `${index}-${name}`),
      name,
      port,
    });
  };
  const node = (name: string) => nodes.find((n) => n.name === name) as Running & { name: string; port: number };
  const owned = async (names: string[]): Promise<number> => {
    let n = 0;
    for (const name of names) n += await assignments(node(name).port);
    return n;
  };
  const decisions = async (names: string[]): Promise<number> => {
    let n = 0;
    for (const name of names) n += (await metric(node(name).port, 'tracefold_sampling_decisions_total')) || 0;
    return n;
  };
  /** Raw topic committed to its end by stage 1, then the keyed topic committed to its end by stage 2. */
  const settled = async (rawMessages: number): Promise<void> => {
    await waitFor(
      'stage 1 to commit the raw topic to its end',
      async () => (await committedTotal(`${group}.rekey`, raw, PARTITIONS)) === rawMessages,
      120_000,
    );
    const keyedEnd = await topicEndTotal(keyed, PARTITIONS);
    await waitFor(
      'stage 2 to commit the keyed topic to its end',
      async () => (await committedTotal(`${group}.assemble`, keyed, PARTITIONS)) === keyedEnd,
      120_000,
    );
  };

  try {
    await Promise.all([
      start('r1', 'rekey', 1),
      start('r2', 'rekey', 1),
      start('r3', 'rekey', 1),
      start('a1', 'assemble', 2),
      start('a2', 'assemble', 2),
    ]);
    await waitFor(
      'every partition of both topics to be owned',
      async () => (await owned(['r1', 'r2', 'r3'])) === PARTITIONS && (await owned(['a1', 'a2'])) === PARTITIONS,
      90_000,
    );

    // ── Phase 1: all nodes up ──
    const first = syntheticTraces(40, 13);
    const firstMessages = await produceScattered(raw, first, 0);
    await settled(firstMessages);

    // The keyed topic: keyed by trace, Proto3, each trace on one partition.
    const records = await readAllPartitions(keyed, PARTITIONS);
    const partitionOf = new Map<string, number>();
    let keyedSpans = 0;
    for (const r of records) {
      const key = r.key ?? '';
      assert.match(key, /^[0-9a-f]{16}$/, 'every keyed record has a trace key');
      const decoded = decodeProto3(new Uint8Array(r.value));
      assert.equal(decoded.errors.length, 0, 'keyed records are Zipkin Proto3');
      for (const s of decoded.spans) assert.equal(traceKey(s.traceId), key, 'a record holds only its key’s trace');
      keyedSpans += decoded.spans.length;
      const before = partitionOf.get(key);
      assert.ok(before === undefined || before === r.partition, `trace ${key} is on one partition`);
      partitionOf.set(key, r.partition);
    }
    const firstSpans = first.reduce((n, t) => n + t.length, 0);
    assert.equal(keyedSpans, firstSpans, 'every span reached the keyed topic exactly once');
    assert.equal(partitionOf.size, new Set(first.map((t) => traceKey(t[0]?.traceId ?? ''))).size);

    const decidedFirst = await settledCount('decision counters to be reported', () => decisions(['a1', 'a2']), first.length);
    assert.equal(decidedFirst, first.length, 'one sampling decision per trace');
    const keptFirst = judge('phase 1', first, await storedSpans(`${index}-span-*`));
    assert.ok(keptFirst > first.length * 0.2 && keptFirst < first.length, `sampling kept ${keptFirst}/${first.length} traces`);

    // ── Phase 2: one node of each stage dies; the survivors take its partitions ──
    const before = await decisions(['a1']);
    node('r3').child.kill('SIGKILL');
    node('a2').child.kill('SIGKILL');
    await waitFor(
      'the survivors to own every partition',
      async () => (await owned(['r1', 'r2'])) === PARTITIONS && (await owned(['a1'])) === PARTITIONS,
      90_000,
    );
    const second = syntheticTraces(30, 14);
    const secondMessages = await produceScattered(raw, second, 5);
    await settled(firstMessages + secondMessages);
    const decidedSecond = await settledCount(
      'decision counters to be reported',
      async () => (await decisions(['a1'])) - before,
      second.length,
    );
    assert.equal(decidedSecond, second.length, 'one sampling decision per new trace');
    const stored = await storedSpans(`${index}-span-*`);
    const keptSecond = judge('phase 2', second, stored);
    assert.ok(keptSecond > 0, 'the survivors stored traces');
    assert.equal(judge('phase 1 after the kills', first, stored), keptFirst, 'nothing of phase 1 changed');
    const known = new Set([...first, ...second].flatMap((t) => t.map((s) => spanIdentity(s))));
    assert.deepEqual(stored.filter((s) => !known.has(s.identity)).slice(0, 5), [], 'nothing stored that was not produced');
    console.log(
      `two-stage: phase 1 ${first.length} traces (${firstSpans} spans) over ${firstMessages} scattered messages, kept ${keptFirst}; ` +
        `phase 2 after killing r3 and a2: ${second.length} traces, kept ${keptSecond}`,
    );

    // ── Phase 3: a stage-1 node joins while traffic flows (a stage-1 rebalance in the middle of it) ──
    const before3 = await decisions(['a1']);
    await start('r4', 'rekey', 1);
    const third = syntheticTraces(30, 15);
    let thirdMessages = 0;
    for (let i = 0; i < third.length; i += 5) {
      thirdMessages += await produceScattered(raw, third.slice(i, i + 5), i);
      await new Promise((r) => setTimeout(r, 1_500));
    }
    await waitFor('r4 to take partitions', async () => (await assignments(node('r4').port)) > 0, 60_000);
    await settled(firstMessages + secondMessages + thirdMessages);
    assert.ok(
      ['r1', 'r2'].some((n) => logLines(node(n).logFile, /^partitions revoked/).length > 0),
      'a stage-1 node gave partitions up to r4',
    );
    const keyedAll = await readAllPartitions(keyed, PARTITIONS);
    const keyedSpansAll = keyedAll.reduce((n, r) => n + decodeProto3(new Uint8Array(r.value)).spans.length, 0);
    const producedSpans = [...first, ...second, ...third].reduce((n, t) => n + t.length, 0);
    assert.equal(keyedSpansAll, producedSpans, 'across a kill and a join in stage 1, every span reached the keyed topic exactly once');
    const decidedThird = await settledCount(
      'decision counters to be reported',
      async () => (await decisions(['a1'])) - before3,
      third.length,
    );
    assert.equal(decidedThird, third.length, 'one sampling decision per trace of phase 3');
    const keptThird = judge('phase 3', third, await storedSpans(`${index}-span-*`));
    console.log(`two-stage: phase 3 with r4 joining stage 1 mid-traffic: ${third.length} traces, kept ${keptThird}`);

    for (const name of ['r1', 'r2', 'r4', 'a1']) node(name).child.kill('SIGTERM');
    for (const name of ['r1', 'r2', 'r4', 'a1']) assert.equal(await node(name).exited, 0, `${name} stops cleanly (${node(name).logFile})`);
  } finally {
    for (const n of nodes) n.child.kill('SIGKILL');
    await deleteIndices(`${index}-*`);
    for (const topic of [raw, keyed, `${keyed}.decisions`]) await deleteTopic(KAFKA, topic).catch(() => undefined);
  }
});

test('--stage assemble on a topic not keyed by trace ID says so', { timeout: 120_000 }, async () => {
  await requireSearchEngine();
  const raw = uniqueName('tf-unkeyed');
  const index = uniqueName('tfunkeyed');
  await ensureTopics(KAFKA, [{ topic: raw, partitions: PARTITIONS }]);
  const traces = syntheticTraces(2, 21);
  await produceScattered(raw, traces, 0);
  const port = await freePort();
  const node = startTracefold(
    ['ingest', '--stage', 'assemble', '--topic', 'tf-unkeyed-unused', '--rekey-topic', raw, '--workers', '1', '--admin-port', String(port)],
    {
      KAFKA_BOOTSTRAP_SERVERS: KAFKA,
      KAFKA_GROUP_ID: uniqueName('tf-unkeyed-group'),
      TRACEFOLD_KAFKA_GROUP_INSTANCE_ID: '',
      ...searchEnv(index),
    },
    index,
  );
  try {
    await waitFor(
      'the unkeyed-input warning',
      async () => logLines(node.logFile, /expects a topic keyed by trace ID/).length > 0,
      60_000,
      250,
    );
    const [warning] = logLines(node.logFile, /expects a topic keyed by trace ID/);
    assert.match(String(warning?.msg), /records without a key/);
    node.child.kill('SIGTERM');
    assert.equal(await node.exited, 0, `stops cleanly (${node.logFile})`);
  } finally {
    node.child.kill('SIGKILL');
    await deleteIndices(`${index}-*`);
    await deleteTopic(KAFKA, raw).catch(() => undefined);
  }
});

/** Tags by which a span counts as failed (workers/assemble/facts.ts isErrorSpan). */
const ERROR_TAGS = ['error', 'http.status_code', 'http.response.status_code', 'grpc.status_code', 'rpc.grpc.status_code'];

/** Copies of `traces` in which only the even-numbered traces failed, each in its first span only. */
function failingEvenTraces(traces: readonly Span[][]): Span[][] {
  return traces.map((t, i) =>
    t.map((s, j) => {
      const tags = { ...s.tags };
      for (const k of ERROR_TAGS) delete tags[k];
      if (i % 2 === 0 && j === 0) tags.error = 'handover test';
      return { ...s, tags };
    }),
  );
}

test('a stage-2 handover carries sampling decisions: the rest of a trace follows what its first part decided', {
  timeout: 180_000,
}, async () => {
  await requireSearchEngine();
  // `error`, then a coin that keeps nothing: a trace is kept only for its failed span, which is in
  // its first half. Decided again as a fragment, its second half (no error) would be dropped.
  const { raw, keyed, group, index, config } = await setUp('2rebal', 'none', 0);
  const nodes: Array<Running & { port: number }> = [];
  const start = async (name: string, stage: 'rekey' | 'assemble'): Promise<Running & { port: number }> => {
    const port = await freePort();
    const args = [
      'ingest',
      '--config',
      config,
      '--kafka-group-id',
      group,
      '--stage',
      stage,
      '--workers',
      '2',
      '--admin-port',
      String(port),
    ];
    args.push('--kafka-commit-interval-ms', '500ms', '--window-quiet-ms', '2s', '--kafka-property', 'session.timeout.ms=6000');
    const env = {
      KAFKA_BOOTSTRAP_SERVERS: KAFKA,
      KAFKA_TOPIC: raw,
      ...searchEnv(index),
    };
    const n = { ...startTracefold(args, { ...env, TRACEFOLD_KAFKA_GROUP_INSTANCE_ID: `${group}-${name}` }, `${index}-${name}`), port };
    nodes.push(n);
    return n;
  };
  let messages = 0;
  const settled = async (what: string): Promise<void> => {
    await waitFor(`stage 1 to commit ${what}`, async () => (await committedTotal(`${group}.rekey`, raw, PARTITIONS)) === messages, 120_000);
    const keyedEnd = await topicEndTotal(keyed, PARTITIONS);
    await waitFor(
      `stage 2 to commit ${what}`,
      async () => (await committedTotal(`${group}.assemble`, keyed, PARTITIONS)) === keyedEnd,
      120_000,
    );
  };
  try {
    const [, a1] = await Promise.all([start('r1', 'rekey'), start('a1', 'assemble')]);
    await waitFor('a1 to own the keyed topic', async () => (await assignments(a1.port)) === PARTITIONS, 60_000);
    const traces = failingEvenTraces(syntheticTraces(6, 31).filter((t) => t.length >= 2));
    const half = (t: Span[]): number => Math.ceil(t.length / 2);

    // First halves: a1 assembles and decides every trace (kept: those with the failed span).
    messages += await produceScattered(
      raw,
      traces.map((t) => t.slice(0, half(t))),
      0,
    );
    await settled('the first halves');
    await waitFor(
      'a1 to decide every trace',
      async () => (await metric(a1.port, 'tracefold_sampling_decisions_total')) === traces.length,
      10_000,
      250,
    );

    // a3 joins while whole traces keep coming: about half of the keyed partitions change owner.
    const a3 = await start('a3', 'assemble');
    const during = failingEvenTraces(syntheticTraces(2, 32));
    for (let i = 0; i < during.length; i += 4) {
      messages += await produceScattered(raw, during.slice(i, i + 4), i);
      await new Promise((r) => setTimeout(r, 1_000));
    }
    await waitFor(
      'a3 to take partitions and restore their decisions',
      async () => logLines(a3.logFile, /previous owners restored$/).some((l) => Number(l.decisions) > 0),
      60_000,
    );
    await waitFor(
      'a1 and a3 to own the keyed topic',
      async () => (await assignments(a1.port)) + (await assignments(a3.port)) === PARTITIONS,
      30_000,
    );
    assert.ok(logLines(a1.logFile, /^partitions revoked/).length > 0, 'a1 handed partitions over');

    // Second halves: no failed span among them; each goes where its trace's partition now is.
    messages += await produceScattered(
      raw,
      traces.map((t) => t.slice(half(t))),
      5,
    );
    await settled('the second halves');

    const stored = await storedSpans(`${index}-span-*`);
    const failing = traces.filter((_, i) => i % 2 === 0);
    const passing = traces.filter((_, i) => i % 2 === 1);
    assert.equal(judge('failed traces', failing, stored), failing.length, 'every failed trace is kept, whole');
    assert.equal(judge('other traces', passing, stored), 0, 'no other trace is kept, not even in part');
    const failingDuring = during.filter((_, i) => i % 2 === 0);
    assert.equal(judge('failed traces sent during the join', failingDuring, stored), failingDuring.length, 'nothing lost across the join');
    assert.equal(
      judge(
        'other traces sent during the join',
        during.filter((_, i) => i % 2 === 1),
        stored,
      ),
      0,
    );
    assert.ok(
      stored.every((s) => s.policy === 'error'),
      'every stored span names the policy its trace was kept by',
    );
    const decisions = async (): Promise<number> => {
      let n = 0;
      for (const node of [a1, a3]) n += (await metric(node.port, 'tracefold_sampling_decisions_total')) || 0;
      return n;
    };
    const decided = await settledCount('decision counters to be reported', decisions, traces.length + during.length);
    assert.equal(decided, traces.length + during.length, 'one decision per trace: no part of a trace was decided again as a fragment');
    const restored = logLines(a3.logFile, /previous owners restored$/).reduce((n, l) => n + Number(l.decisions), 0);
    console.log(
      `two-stage handover: ${traces.length} traces split across a1 → a3, ${during.length} sent during the join; a3 restored ${restored} decisions; ${decided} decisions in all`,
    );
    for (const n of nodes) n.child.kill('SIGTERM');
    for (const n of nodes) assert.equal(await n.exited, 0, `stops cleanly (${n.logFile})`);
  } finally {
    for (const n of nodes) n.child.kill('SIGKILL');
    await deleteIndices(`${index}-*`);
    for (const topic of [raw, keyed, `${keyed}.decisions`]) await deleteTopic(KAFKA, topic).catch(() => undefined);
  }
});
