/**
 * Crash safety: SIGKILL the ingest process mid-stream, restart it, and check that every span is
 * stored exactly once and that the group's committed offsets reach the end of the topic.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deleteTopic, ensureTopics } from '../../../src/kafka/admin.js';
import { committedTotal, produceTraces } from '../../helpers/kafka.js';
import { countDocs, deleteIndices, storedSpanKeys } from '../../helpers/search.js';
import { KAFKA, requireSearchEngine, SEARCH, uniqueName } from '../../helpers/servers.js';
import { startTracefold, waitFor } from '../../helpers/tracefold.js';
import { syntheticTraces } from '../../helpers/traffic.js';

const PARTITIONS = 6;

test('SIGKILL mid-stream, restart: every span stored exactly once, offsets committed to the end', { timeout: 600_000 }, async () => {
  await requireSearchEngine();
  const topic = uniqueName('tf-sigkill');
  const index = uniqueName('tfkill');
  const group = uniqueName('tf-sigkill-group');
  await ensureTopics(KAFKA, [{ topic, partitions: PARTITIONS }]);

  // ~66k spans in ~13k messages of up to 5 spans, no key (like real reporters): enough that the
  // kill, sent as soon as the first documents are searchable, lands mid-stream.
  const traces = syntheticTraces(60, 7);
  // Key → distinct span documents under it (a real trace can report one span id several times
  // with different content: those are different documents, each stored once).
  const variants = new Map<string, Set<string>>();
  for (const t of traces) {
    for (const s of t) {
      const k = `${s.traceId}/${s.id}/${s.kind ?? ''}/${s.shared === true}`;
      const v = variants.get(k) ?? new Set<string>();
      variants.set(k, v);
      v.add(JSON.stringify(s));
    }
  }
  const messages = await produceTraces(topic, traces);
  let expectedDocs = 0;
  for (const v of variants.values()) expectedDocs += v.size;

  const args = [
    'ingest',
    '--workers',
    '2',
    '--admin-port',
    '0',
    '--window-quiet-ms',
    '300ms',
    '--kafka-commit-interval-ms',
    '300ms',
    '--kafka-batch-max-messages',
    '50',
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
  try {
    const first = startTracefold(args, env, `${index}-first`);
    await waitFor('the first spans to be stored', async () => (await countDocs(`${index}-span-*`)) > 0, 180_000, 100);
    first.child.kill('SIGKILL');
    await first.exited;
    const atKill = await countDocs(`${index}-span-*`);
    assert.ok(atKill < expectedDocs, `the kill happened mid-stream (${atKill} of ${expectedDocs} stored)`);

    const second = startTracefold(args, env, `${index}-second`);
    await waitFor('every span to be stored', async () => (await countDocs(`${index}-span-*`)) >= expectedDocs, 240_000);
    // The killed process's last bulk requests may have completed its work already: wait until the
    // restarted one has consumed and committed to the end, then a clean shutdown must exit 0.
    await waitFor('offsets committed to the end', async () => (await committedTotal(group, topic, PARTITIONS)) === messages, 120_000);
    second.child.kill('SIGTERM');
    assert.equal(await second.exited, 0, `clean exit after SIGTERM (log: ${second.logFile})`);

    const stored = await storedSpanKeys(`${index}-span-*`);
    const missing = [...variants.keys()].filter((k) => !stored.has(k));
    const wrongCount = [...stored]
      .filter(([k, n]) => n !== variants.get(k)?.size)
      .map(([k, n]) => `${k}: ${n} stored, ${variants.get(k)?.size ?? 0} expected`);
    assert.deepEqual(missing, [], 'no span is missing');
    assert.deepEqual(wrongCount, [], 'every distinct span document is stored exactly once');
    assert.equal(await countDocs(`${index}-span-*`), expectedDocs);
    assert.equal(await committedTotal(group, topic, PARTITIONS), messages, 'committed offsets cover every message');
  } finally {
    await deleteIndices(`${index}-*`);
    await deleteTopic(KAFKA, topic).catch(() => undefined);
  }
});
