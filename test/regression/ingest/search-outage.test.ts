/**
 * The search engine going away mid-stream: consumption pauses under backpressure instead of
 * buffering without bound, nothing is lost, and everything is stored exactly once after it returns.
 * The outage is a TCP proxy in front of OpenSearch that starts refusing and cutting connections.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Span } from '../../../core/model/span.js';
import { deleteTopic, ensureTopics } from '../../../src/kafka/admin.js';
import { KafkaProducer } from '../../../src/kafka/producer.js';
import { assertIdentity, compareIdentities, expectedIdentities } from '../../helpers/identity.js';
import { FlakyProxy } from '../../helpers/proxy.js';
import { countDocs, deleteIndices, storedSpanKeys } from '../../helpers/search.js';
import { KAFKA, requireSearchEngine, SEARCH, uniqueName } from '../../helpers/servers.js';
import { freePort, startTracefold, waitFor } from '../../helpers/tracefold.js';
import { syntheticTraces } from '../../helpers/traffic.js';

async function health(adminPort: number): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`http://127.0.0.1:${adminPort}/health`);
  return { status: res.status, body: await res.json() };
}

async function gauge(adminPort: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

test('search engine outage: consumption pauses, nothing is lost, nothing duplicated', { timeout: 600_000 }, async () => {
  await requireSearchEngine();
  const proxy = new FlakyProxy(new URL(SEARCH));
  const port = await proxy.listen();
  const ADMIN_PORT = await freePort();
  const topic = uniqueName('tf-outage');
  const index = uniqueName('tfoutage');
  await ensureTopics(KAFKA, [{ topic, partitions: 4 }]);
  const producer = await KafkaProducer.connect(KAFKA);
  const produced: Span[][] = [];
  const produce = async (copies: number, seed: number): Promise<void> => {
    const sends: Promise<number>[] = [];
    for (const t of syntheticTraces(copies, seed)) {
      produced.push(t);
      for (let i = 0; i < t.length; i += 5) sends.push(producer.send({ topic, value: Buffer.from(JSON.stringify(t.slice(i, i + 5))) }));
    }
    await Promise.all(sends);
  };
  const tf = startTracefold(
    [
      'ingest',
      '--workers',
      '2',
      '--admin-port',
      String(ADMIN_PORT),
      '--window-quiet-ms',
      '200ms',
      '--kafka-commit-interval-ms',
      '500ms',
      '--backpressure-max-outstanding-messages',
      '300',
      '--es-timeout-ms',
      '2s',
      '--es-retry-max-ms',
      '1s',
      '--admin-sink-down-after-ms',
      '3s',
    ],
    {
      KAFKA_BOOTSTRAP_SERVERS: KAFKA,
      KAFKA_TOPIC: topic,
      KAFKA_GROUP_ID: uniqueName('g'),
      ES_HOSTS: `http://127.0.0.1:${port}`,
      ES_INDEX: index,
      ES_INDEX_REPLICAS: '0',
      ES_INDEX_SHARDS: '1',
    },
    index,
  );
  try {
    await produce(2, 1);
    await waitFor('the first traces to be stored', async () => (await countDocs(`${index}-span-*`)) > 0, 90_000);
    proxy.setDown(true);
    await produce(10, 2);
    await waitFor(
      'consumption to pause under backpressure',
      async () => (await gauge(ADMIN_PORT, 'tracefold_partitions_paused')) > 0,
      60_000,
    );
    const outstanding = await gauge(ADMIN_PORT, 'tracefold_outstanding_messages');
    assert.ok(outstanding < 300 + 4 * 500, `outstanding messages stay bounded during the outage (${outstanding})`);
    await waitFor('/health to report the failing writes', async () => (await health(ADMIN_PORT)).status === 503, 30_000);
    const down = (await health(ADMIN_PORT)).body as { status: string; details: { sinkError?: string; sinkFailingForMs?: number } };
    assert.equal(down.status, 'DOWN');
    assert.ok((down.details.sinkFailingForMs ?? 0) >= 3000, `failing time reported (${down.details.sinkFailingForMs})`);
    assert.ok(typeof down.details.sinkError === 'string' && down.details.sinkError.length > 0, 'the reason is reported');
    proxy.setDown(false);
    const expected = expectedIdentities(produced);
    const uniqueDocs = [...expected.values()].reduce((a, b) => a + b, 0);
    await waitFor(
      'every span to be stored after the outage',
      async () => (await countDocs(`${index}-span-*`)) >= uniqueDocs,
      300_000,
      1000,
    );
    // The sink's state reaches the coordinator with the workers' reports (about once a second).
    await waitFor('/health to be UP again once writes succeed', async () => (await health(ADMIN_PORT)).status === 200, 15_000, 250);
    tf.child.kill('SIGTERM');
    assert.equal(await tf.exited, 0, `clean exit (log ${tf.logFile})`);
    assertIdentity(compareIdentities('search engine outage (connections cut)', expected, await storedSpanKeys(`${index}-span-*`)));
  } finally {
    tf.child.kill('SIGKILL');
    proxy.close();
    await producer.close();
    await deleteIndices(`${index}-*`);
    await deleteTopic(KAFKA, topic).catch(() => undefined);
  }
});
