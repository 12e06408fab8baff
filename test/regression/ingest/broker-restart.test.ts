/**
 * The Kafka broker restarted mid-stream (its data kept): the node rides through the broker's
 * absence (librdkafka reconnects; commits that fail are retried) and every span produced before and
 * after is stored exactly once. Twice: a quick restart, and an outage longer than the group session
 * (45 s), after which the node's partitions are revoked while the coordinator is still gone and
 * assigned again when it is back. The broker is the test's own, on other ports: the shared one is
 * never restarted.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Span } from '../../../core/model/span.js';
import { ensureTopics } from '../../../src/kafka/admin.js';
import { assertIdentity, compareIdentities, expectedIdentities } from '../../helpers/identity.js';
import { committedTotal, produceTraces } from '../../helpers/kafka.js';
import { OwnKafka } from '../../helpers/own-kafka.js';
import { countDocs, deleteIndices, storedSpanKeys } from '../../helpers/search.js';
import { requireSearchEngine, uniqueName } from '../../helpers/servers.js';
import { LOG_DIR, logLines, searchEnv, startTracefold, waitFor } from '../../helpers/tracefold.js';
import { syntheticTraces } from '../../helpers/traffic.js';

const PARTITIONS = 3;
const broker = new OwnKafka(Number(process.env.TF_RESTART_KAFKA_PORT ?? 19492));

before(async () => {
  await requireSearchEngine();
  broker.up();
});
after(() => broker.destroy());

/** The last lines of a node's log, for a failure message. */
function logTail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

for (const { name, downMs } of [
  { name: 'a Kafka broker restart mid-stream', downMs: 0 },
  { name: 'a Kafka broker down longer than the group session (50 s)', downMs: 50_000 },
])
  test(`${name}: every span stored exactly once`, { timeout: 600_000 }, async () => {
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
        ...searchEnv(index),
      },
      index,
    );
    try {
      let messages = await produce(2, 61);
      await waitFor('the first spans to be stored', async () => (await countDocs(`${index}-span-*`)) > 0, 120_000, 200);
      broker.down();
      await new Promise((r) => setTimeout(r, downMs));
      broker.up();
      messages += await produce(2, 62);
      let committed = -1;
      await waitFor(
        `offsets committed to the end (${messages} messages)`,
        // Until the restarted broker has loaded its offsets topic it answers 'not coordinator'.
        async () => {
          committed = await committedTotal(group, topic, PARTITIONS, kafka).catch(() => -1);
          return committed === messages;
        },
        240_000,
        500,
      ).catch((err: Error) => {
        throw new Error(
          `${err.message}: last committed total ${committed}; broker log kept in ${LOG_DIR}; node log ${tf.logFile}:\n${logTail(tf.logFile)}`,
        );
      });
      const revoked = logLines(tf.logFile, /^partitions revoked/).length;
      const assigned = logLines(tf.logFile, /^partitions assigned$/).length;
      const replaced = logLines(tf.logFile, /^Kafka client failed for good/).length;
      process.stdout.write(`[broker] ${name}: revoked ${revoked}, assigned ${assigned}, client replaced ${replaced}\n`);
      if (downMs > 0) {
        // The scenario happened: the partitions were taken away during the outage and came back.
        assert.ok(revoked >= 1, `partitions revoked during the outage (log ${tf.logFile})`);
        assert.ok(assigned >= 2, `partitions assigned again (log ${tf.logFile})`);
      }
      tf.child.kill('SIGTERM');
      assert.equal(await tf.exited, 0, `clean exit (log ${tf.logFile})`);
      assertIdentity(compareIdentities(name, expectedIdentities(produced), await storedSpanKeys(`${index}-span-*`)));
    } finally {
      tf.child.kill('SIGKILL');
      await deleteIndices(`${index}-*`);
    }
  });
