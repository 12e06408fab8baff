/**
 * Scale-out and scale-in within a consumer group: a second node joins mid-stream (partitions are
 * revoked from the first, which finishes and commits their work before letting go), then leaves
 * again while traffic continues (its partitions return to the first once its session ends: static
 * members do not send a LeaveGroup). Judged by identity: every produced span is stored exactly once.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Span } from '../../../core/model/span.js';
import { deleteTopic, ensureTopics } from '../../../src/kafka/admin.js';
import { assertIdentity, compareIdentities, expectedIdentities } from '../../helpers/identity.js';
import { committedTotal, produceTraces } from '../../helpers/kafka.js';
import { countDocs, deleteIndices, storedSpanKeys } from '../../helpers/search.js';
import { KAFKA, requireSearchEngine, SEARCH, uniqueName } from '../../helpers/servers.js';
import { logLines, type Running, startTracefold, waitFor } from '../../helpers/tracefold.js';
import { syntheticTraces } from '../../helpers/traffic.js';

const PARTITIONS = 6;

test('a second node joins mid-stream and leaves again: revoked work is finished, all stored once', { timeout: 600_000 }, async () => {
  await requireSearchEngine();
  const topic = uniqueName('tf-rebalance');
  const index = uniqueName('tfrebal');
  const group = uniqueName('tf-rebalance-group');
  await ensureTopics(KAFKA, [{ topic, partitions: PARTITIONS }]);
  const produced: Span[][] = [];
  const produce = async (copies: number, seed: number): Promise<number> => {
    const traces = syntheticTraces(copies, seed);
    produced.push(...traces);
    return produceTraces(topic, traces);
  };
  let messages = await produce(20, 3);
  const args = [
    'ingest',
    '--workers',
    '1',
    '--admin-port',
    '0',
    '--window-quiet-ms',
    '300ms',
    '--kafka-commit-interval-ms',
    '500ms',
    // The broker's minimum: a node that leaves for good hands its partitions back after 6 s.
    '--kafka-property',
    'session.timeout.ms=6000',
  ];
  const env = {
    KAFKA_BOOTSTRAP_SERVERS: KAFKA,
    KAFKA_TOPIC: topic,
    KAFKA_GROUP_ID: group,
    ES_HOSTS: SEARCH,
    ES_INDEX: index,
    ES_INDEX_REPLICAS: '0',
    ES_INDEX_SHARDS: '1',
  };
  // Two processes on one host: each needs its own static member id (the host name would be shared).
  const a = startTracefold(args, { ...env, TRACEFOLD_KAFKA_GROUP_INSTANCE_ID: `${group}-a` }, `${index}-a`);
  let b: Running | undefined;
  try {
    await waitFor('node A to store some spans', async () => (await countDocs(`${index}-span-*`)) > 0, 120_000, 200);
    b = startTracefold(args, { ...env, TRACEFOLD_KAFKA_GROUP_INSTANCE_ID: `${group}-b` }, `${index}-b`);
    const bLog = b.logFile;
    await waitFor('node B to be assigned partitions', async () => logLines(bLog, /^partitions assigned$/).length > 0, 120_000, 200);
    messages += await produce(10, 4);
    await waitFor('offsets committed to the end', async () => (await committedTotal(group, topic, PARTITIONS)) === messages, 300_000, 500);

    // B leaves for good; traffic produced now is stored by A once B's partitions come back to it.
    b.child.kill('SIGTERM');
    assert.equal(await b.exited, 0, `node B exits cleanly (${b.logFile})`);
    messages += await produce(10, 5);
    await waitFor(
      'A to take every partition back and commit to the end',
      async () => (await committedTotal(group, topic, PARTITIONS)) === messages,
      300_000,
      500,
    );
    a.child.kill('SIGTERM');
    assert.equal(await a.exited, 0, `node A exits cleanly (${a.logFile})`);
    assert.match(readFileSync(a.logFile, 'utf8'), /partitions revoked/, 'node A went through a revocation');

    const report = compareIdentities('rebalance: join and leave', expectedIdentities(produced), await storedSpanKeys(`${index}-span-*`));
    assertIdentity(report);
  } finally {
    a.child.kill('SIGKILL');
    b?.child.kill('SIGKILL');
    await deleteIndices(`${index}-*`);
    await deleteTopic(KAFKA, topic).catch(() => undefined);
  }
});
