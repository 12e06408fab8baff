/**
 * The Kafka broker restarted mid-stream (its data kept): the node rides through the broker's
 * absence (librdkafka reconnects; commits that fail are retried) and every span produced before and
 * after is stored exactly once. The broker is the test's own, on other ports: the shared one is
 * never restarted.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Span } from '../../../core/model/span.js';
import { ensureTopics } from '../../../src/kafka/admin.js';
import { assertIdentity, compareIdentities, expectedIdentities } from '../../helpers/identity.js';
import { committedTotal, produceTraces } from '../../helpers/kafka.js';
import { OwnKafka } from '../../helpers/own-kafka.js';
import { countDocs, deleteIndices, storedSpanKeys } from '../../helpers/search.js';
import { OPENSEARCH, requireHttp, uniqueName } from '../../helpers/servers.js';
import { startTracefold, waitFor } from '../../helpers/tracefold.js';
import { syntheticTraces } from '../../helpers/traffic.js';

const PARTITIONS = 3;
const broker = new OwnKafka(Number(process.env.TF_RESTART_KAFKA_PORT ?? 19492));

before(async () => {
  await requireHttp(OPENSEARCH, 'OpenSearch');
  broker.up();
});
after(() => broker.destroy());

test('a Kafka broker restart mid-stream: every span stored exactly once', { timeout: 600_000 }, async () => {
  const topic = uniqueName('tf-broker');
  const index = uniqueName('tfbroker');
  const group = uniqueName('g');
  const kafka = broker.bootstrap;
  await ensureTopics(kafka, [{ topic, partitions: PARTITIONS }]);
  const produced: Span[][] = [];
  const produce = async (copies: number, seed: number): Promise<number> => {
    const traces = syntheticTraces(copies, seed);
    produced.push(...traces);
    return produceTraces(topic, traces, 5, kafka);
  };
  const tf = startTracefold(
    ['ingest', '--workers', '2', '--admin-port', '0', '--window-quiet-ms', '200ms', '--kafka-commit-interval-ms', '300ms'],
    {
      KAFKA_BOOTSTRAP_SERVERS: kafka,
      KAFKA_TOPIC: topic,
      KAFKA_GROUP_ID: group,
      ES_HOSTS: OPENSEARCH,
      ES_INDEX: index,
      ES_INDEX_REPLICAS: '0',
      ES_INDEX_SHARDS: '1',
    },
    index,
  );
  try {
    let messages = await produce(2, 61);
    await waitFor('the first spans to be stored', async () => (await countDocs(`${index}-span-*`)) > 0, 120_000, 200);
    broker.down();
    broker.up();
    messages += await produce(2, 62);
    await waitFor(
      `offsets committed to the end (${messages} messages)`,
      // Until the restarted broker has loaded its offsets topic it answers 'not coordinator'.
      async () => (await committedTotal(group, topic, PARTITIONS, kafka).catch(() => -1)) === messages,
      300_000,
      500,
    );
    tf.child.kill('SIGTERM');
    assert.equal(await tf.exited, 0, `clean exit (log ${tf.logFile})`);
    assertIdentity(compareIdentities('Kafka broker restart', expectedIdentities(produced), await storedSpanKeys(`${index}-span-*`)));
  } finally {
    tf.child.kill('SIGKILL');
    await deleteIndices(`${index}-*`);
  }
});
