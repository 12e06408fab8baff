/**
 * The search engine misbehaving mid-stream, each scenario judged by identity (every produced span
 * stored exactly once, none missing, none extra) with its counts printed:
 *  - a 429 storm: bulk requests refused whole, and items answered 429 although stored;
 *  - a freeze of 60 s: requests held unanswered (they time out and are retried; the held ones are
 *    applied late when it ends);
 *  - permanent item errors (mapping conflicts): those spans go to the dead-letter topic, every other
 *    span is stored.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Span } from '../../../core/model/span.js';
import { deleteTopic, ensureTopics } from '../../../src/kafka/admin.js';
import { FaultProxy } from '../../helpers/fault-proxy.js';
import { assertIdentity, compareIdentities, expectedIdentities, spanIdentity } from '../../helpers/identity.js';
import { committedTotal, produceTraces, readTopic } from '../../helpers/kafka.js';
import { createPrng } from '../../helpers/prng.js';
import { countDocs, deleteIndices, storedSpanKeys } from '../../helpers/search.js';
import { KAFKA, OPENSEARCH, requireHttp, uniqueName } from '../../helpers/servers.js';
import { freePort, metric, type Running, startTracefold, waitFor } from '../../helpers/tracefold.js';
import { syntheticTraces } from '../../helpers/traffic.js';

const PARTITIONS = 3;
const FREEZE_MS = 60_000;

interface Scenario {
  topic: string;
  index: string;
  group: string;
  adminPort: number;
  tf: Running;
}

async function startScenario(name: string, esHost: string, extraArgs: string[] = []): Promise<Scenario> {
  const topic = uniqueName(`tf-${name}`);
  const index = uniqueName(`tf${name}`);
  const group = uniqueName('g');
  const adminPort = await freePort();
  await ensureTopics(KAFKA, [{ topic, partitions: PARTITIONS }]);
  const tf = startTracefold(
    [
      'ingest',
      '--workers',
      '2',
      '--admin-port',
      String(adminPort),
      '--window-quiet-ms',
      '200ms',
      '--kafka-commit-interval-ms',
      '300ms',
      '--es-timeout-ms',
      '3s',
      '--es-retry-initial-ms',
      '50ms',
      '--es-retry-max-ms',
      '1s',
      // A storm must delay items, never exhaust their attempts (that would dead-letter them by policy).
      '--es-retry-max-attempts',
      '1000',
      ...extraArgs,
    ],
    {
      KAFKA_BOOTSTRAP_SERVERS: KAFKA,
      KAFKA_TOPIC: topic,
      KAFKA_GROUP_ID: group,
      ES_HOSTS: esHost,
      ES_INDEX: index,
      ES_INDEX_REPLICAS: '0',
      ES_INDEX_SHARDS: '1',
    },
    index,
  );
  return { topic, index, group, adminPort, tf };
}

async function finish(s: Scenario, messages: number): Promise<void> {
  await waitFor(
    `offsets committed to the end (${messages} messages)`,
    async () => (await committedTotal(s.group, s.topic, PARTITIONS)) === messages,
    300_000,
    500,
  );
  s.tf.child.kill('SIGTERM');
  assert.equal(await s.tf.exited, 0, `clean exit (log ${s.tf.logFile})`);
}

async function cleanUp(s: Scenario | undefined): Promise<void> {
  if (!s) return;
  s.tf.child.kill('SIGKILL');
  await deleteIndices(`${s.index}-*`);
  await deleteTopic(KAFKA, s.topic).catch(() => undefined);
  await deleteTopic(KAFKA, `${s.topic}.dead-letter`).catch(() => undefined);
}

describe('search engine faults', { timeout: 900_000 }, () => {
  before(() => requireHttp(OPENSEARCH, 'OpenSearch'));

  test('a 429 storm: whole requests and stored items refused; every span stored once', async () => {
    const proxy = new FaultProxy(OPENSEARCH, createPrng(429));
    let s: Scenario | undefined;
    try {
      s = await startScenario('storm', await proxy.listen());
      const produced: Span[][] = [];
      const first = syntheticTraces(1, 31);
      produced.push(...first);
      let messages = await produceTraces(s.topic, first);
      await waitFor('the first spans to be stored', async () => (await countDocs(`${s?.index}-span-*`)) > 0, 120_000, 200);
      proxy.storm = 0.5;
      const during = syntheticTraces(3, 32);
      produced.push(...during);
      messages += await produceTraces(s.topic, during);
      await waitFor(
        'the storm to hit requests and items',
        async () => proxy.counts.rejectedRequests >= 20 && proxy.counts.rejectedItems >= 100,
        120_000,
        200,
      );
      proxy.storm = 0;
      await finish(s, messages);
      process.stdout.write(`[storm] ${JSON.stringify(proxy.counts)}\n`);
      assertIdentity(compareIdentities('429 storm', expectedIdentities(produced), await storedSpanKeys(`${s.index}-span-*`)));
    } finally {
      await cleanUp(s);
      await proxy.close();
    }
  });

  test(`the search engine frozen for ${FREEZE_MS / 1000} s mid-stream: every span stored once`, async () => {
    const proxy = new FaultProxy(OPENSEARCH, createPrng(60));
    let s: Scenario | undefined;
    try {
      s = await startScenario('freeze', await proxy.listen());
      const produced: Span[][] = [];
      const first = syntheticTraces(1, 41);
      produced.push(...first);
      let messages = await produceTraces(s.topic, first);
      await waitFor('the first spans to be stored', async () => (await countDocs(`${s?.index}-span-*`)) > 0, 120_000, 200);
      proxy.freeze();
      const frozenAt = Date.now();
      const during = syntheticTraces(2, 42);
      produced.push(...during);
      messages += await produceTraces(s.topic, during);
      const port = s.adminPort;
      await waitFor('writes to be failing', async () => (await metric(port, 'tracefold_sink_failing_seconds')) > 0, 60_000, 200);
      // The freeze lasts its full length: wait for the clock, not for a sleep (the node keeps running).
      await waitFor('the freeze to last its length', async () => Date.now() - frozenAt >= FREEZE_MS, FREEZE_MS + 5000, 1000);
      assert.ok(proxy.counts.held > 0, 'requests were held by the frozen engine');
      proxy.thaw();
      await finish(s, messages);
      process.stdout.write(`[freeze] ${JSON.stringify(proxy.counts)}\n`);
      assertIdentity(compareIdentities('engine frozen 60 s', expectedIdentities(produced), await storedSpanKeys(`${s.index}-span-*`)));
    } finally {
      await cleanUp(s);
      await proxy.close();
    }
  });

  describe('permanent item errors', () => {
    const templateName = uniqueName('tf-conflict');
    let s: Scenario | undefined;
    let prefix = '';
    before(async () => {
      prefix = uniqueName('tfconflict');
    });
    after(async () => {
      await fetch(`${OPENSEARCH}/_index_template/${templateName}`, { method: 'DELETE' });
      await cleanUp(s);
    });

    test('mapping conflicts go to the dead-letter topic; everything else is stored', async () => {
      // A template mapping `name` as a number: spans with a word for a name are refused for good.
      const res = await fetch(`${OPENSEARCH}/_index_template/${templateName}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          index_patterns: [`${prefix}*-span-*`],
          priority: 1000,
          template: { settings: { number_of_shards: 1, number_of_replicas: 0 }, mappings: { properties: { name: { type: 'long' } } } },
        }),
      });
      assert.equal(res.status, 200, await res.text());
      // Zipkin's templates would be overridden by this one (tracefold refuses that), so none are installed.
      s = await startScenario(prefix.replace(/^tf/, ''), OPENSEARCH, ['--es-ensure-templates=false']);
      assert.ok(s.index.startsWith(prefix.slice(0, 2)));
      const traces = syntheticTraces(1, 51).map((t) => t.map((span, i) => (i % 2 === 0 ? { ...span, name: String(i) } : span)));
      // Judged per document: one span id may be reported twice, once with each kind of name.
      const isPoisoned = (x: Span): boolean => x.name !== undefined && !/^\d+$/.test(x.name);
      const expectedDead = expectedIdentities([traces.flat().filter(isPoisoned)]);
      const expectedStored = expectedIdentities([traces.flat().filter((x) => !isPoisoned(x))]);
      assert.ok(expectedDead.size > 0, 'some spans carry a word for a name');
      const messages = await produceTraces(s.topic, traces);
      await finish(s, messages);
      let deadDocs = 0;
      for (const n of expectedDead.values()) deadDocs += n;
      const dead = await readTopic(`${s.topic}.dead-letter`, deadDocs);
      const deadIds = new Map<string, number>();
      for (const m of dead) {
        for (const span of JSON.parse(m.value?.toString() ?? '[]') as Span[]) {
          deadIds.set(spanIdentity(span), (deadIds.get(spanIdentity(span)) ?? 0) + 1);
        }
      }
      const deadReport = compareIdentities('mapping conflicts: dead-letter topic', expectedDead, deadIds);
      const report = compareIdentities('mapping conflicts: index', expectedStored, await storedSpanKeys(`${s.index}-span-*`));
      report.deadLettered = deadReport.stored;
      assertIdentity(report);
      assertIdentity(deadReport);
    });
  });
});
