/**
 * Scale-out within a consumer group: a second node joins mid-stream, partitions are revoked from
 * the first (which finishes and commits their work before letting go), and together they store
 * every span exactly once with offsets committed to the end.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { deleteTopic, ensureTopics } from '../../../src/kafka/admin.js';
import { committedTotal, produceTraces } from '../../helpers/kafka.js';
import { countDocs, deleteIndices, storedSpanKeys } from '../../helpers/search.js';
import { KAFKA, requireSearchEngine, SEARCH, uniqueName } from '../../helpers/servers.js';
import { type Running, startTracefold, waitFor } from '../../helpers/tracefold.js';
import { syntheticTraces } from '../../helpers/traffic.js';

const PARTITIONS = 6;

test('a second node joins the group mid-stream: revoked work is finished, all stored once', { timeout: 600_000 }, async () => {
  await requireSearchEngine();
  const topic = uniqueName('tf-rebalance');
  const index = uniqueName('tfrebal');
  const group = uniqueName('tf-rebalance-group');
  await ensureTopics(KAFKA, [{ topic, partitions: PARTITIONS }]);
  const traces = syntheticTraces(20, 3);
  const docs = new Set(traces.flatMap((t) => t.map((s) => JSON.stringify(s))));
  const messages = await produceTraces(topic, traces);
  const args = ['ingest', '--workers', '1', '--admin-port', '0', '--window-quiet-ms', '300ms', '--kafka-commit-interval-ms', '500ms'];
  const env = {
    KAFKA_BOOTSTRAP_SERVERS: KAFKA,
    KAFKA_TOPIC: topic,
    KAFKA_GROUP_ID: group,
    ES_HOSTS: SEARCH,
    ES_INDEX: index,
    ES_INDEX_REPLICAS: '0',
    ES_INDEX_SHARDS: '1',
  };
  const a = startTracefold(args, env, `${index}-a`);
  let b: Running | undefined;
  try {
    await waitFor('node A to store some spans', async () => (await countDocs(`${index}-span-*`)) > 0, 120_000, 200);
    b = startTracefold(args, env, `${index}-b`);
    await waitFor('every span to be stored', async () => (await countDocs(`${index}-span-*`)) >= docs.size, 300_000, 1000);
    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    assert.equal(await a.exited, 0, `node A exits cleanly (${a.logFile})`);
    assert.equal(await b.exited, 0, `node B exits cleanly (${b.logFile})`);
    assert.match(readFileSync(a.logFile, 'utf8'), /partitions revoked/, 'node A went through a revocation');
    let stored = 0;
    for (const n of (await storedSpanKeys(`${index}-span-*`)).values()) stored += n;
    assert.equal(stored, docs.size, 'each distinct span document stored exactly once');
    assert.equal(await committedTotal(group, topic, PARTITIONS), messages, 'offsets committed to the end');
  } finally {
    a.child.kill('SIGKILL');
    b?.child.kill('SIGKILL');
    await deleteIndices(`${index}-*`);
    await deleteTopic(KAFKA, topic).catch(() => undefined);
  }
});
