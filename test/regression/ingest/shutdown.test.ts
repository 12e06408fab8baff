/**
 * Shutdown while the search engine is unreachable: the first SIGTERM drains for at most
 * `--shutdown-timeout-ms` and exits non-zero without committing what was not written; a second
 * signal exits at once. Neither may hang, whatever the sink is doing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deleteTopic, ensureTopics } from '../../../src/kafka/admin.js';
import { committedTotal, produceTraces } from '../../helpers/kafka.js';
import { FlakyProxy } from '../../helpers/proxy.js';
import { countDocs, deleteIndices } from '../../helpers/search.js';
import { KAFKA, requireSearchEngine, SEARCH, uniqueName } from '../../helpers/servers.js';
import { freePort, logLines, metric, type Running, searchEnv, startTracefold, waitFor } from '../../helpers/tracefold.js';
import { syntheticTraces } from '../../helpers/traffic.js';

async function withinMs<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still running after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function startAgainstOutage(
  name: string,
  shutdownTimeout: string,
): Promise<{ tf: Running; proxy: FlakyProxy; topic: string; index: string; group: string; produced: number }> {
  await requireSearchEngine();
  const proxy = new FlakyProxy(new URL(SEARCH));
  const port = await proxy.listen();
  const adminPort = await freePort();
  const topic = uniqueName(`tf-${name}`);
  const index = uniqueName(`tf${name}`);
  const group = uniqueName('g');
  await ensureTopics(KAFKA, [{ topic, partitions: 2 }]);
  const tf = startTracefold(
    [
      'ingest',
      '--workers',
      '2',
      '--admin-port',
      String(adminPort),
      '--window-quiet-ms',
      '200ms',
      '--shutdown-timeout-ms',
      shutdownTimeout,
      '--es-timeout-ms',
      '1s',
      '--es-retry-max-ms',
      '500ms',
    ],
    {
      KAFKA_BOOTSTRAP_SERVERS: KAFKA,
      KAFKA_TOPIC: topic,
      KAFKA_GROUP_ID: group,
      ES_HOSTS: `http://127.0.0.1:${port}`,
      ES_INDEX: index,
      ES_INDEX_REPLICAS: '0',
      ES_INDEX_SHARDS: '1',
    },
    index,
  );
  try {
    // Up and writing first, so the outage hits a running node (templates installed, bulk flowing).
    const first = await produceTraces(topic, syntheticTraces(2, 1));
    await waitFor('the first traces to be stored', async () => (await countDocs(`${index}-span-*`)) > 0, 90_000);
    // Cut only once the first records are all written and committed: a write still under way when
    // the proxy goes down fails at once, and failing writes pause consumption, which could then stop
    // before the outage's records were fetched (seen in CI).
    await waitFor('the first records to be committed', async () => (await committedTotal(group, topic, 2)) >= first, 60_000, 200);
    proxy.setDown(true);
    const second = await produceTraces(topic, syntheticTraces(4, 2));
    // The node has consumed the new records and is failing to write them.
    await waitFor(
      'the records produced during the outage to be consumed',
      async () => (await metric(adminPort, 'tracefold_consumed_messages_total')) >= first + second,
      60_000,
      100,
    );
    await waitFor('writes to be failing', async () => (await metric(adminPort, 'tracefold_sink_failing_seconds')) > 0, 60_000, 100);
    return { tf, proxy, topic, index, group, produced: first + second };
  } catch (err) {
    // A node and a proxy left running keep the test file from ever finishing (seen in CI).
    await cleanUp({ tf, proxy, topic, index });
    throw err;
  }
}

async function cleanUp(s: { tf: Running; proxy: FlakyProxy; topic: string; index: string }): Promise<void> {
  s.tf.child.kill('SIGKILL');
  s.proxy.close();
  await deleteIndices(`${s.index}-*`);
  await deleteTopic(KAFKA, s.topic).catch(() => undefined);
}

test('SIGTERM during a search-engine outage: bounded drain, exit code 1, unwritten records not committed', {
  timeout: 300_000,
}, async () => {
  const s = await startAgainstOutage('shutdown', '3s');
  try {
    s.tf.child.kill('SIGTERM');
    const code = await withinMs(s.tf.exited, 30_000, 'tracefold after SIGTERM with a 3 s shutdown timeout');
    assert.notEqual(code, 0, `non-zero exit when writes were left unfinished (log ${s.tf.logFile})`);
    const committed = await committedTotal(s.group, s.topic, 2);
    assert.ok(committed < s.produced, `records that were never written stay uncommitted (${committed} of ${s.produced} committed)`);
  } finally {
    await cleanUp(s);
  }
});

test('a second SIGTERM during a stuck drain exits at once', { timeout: 300_000 }, async () => {
  const s = await startAgainstOutage('sigterm2', '10m');
  try {
    s.tf.child.kill('SIGTERM');
    await waitFor('the drain to start', async () => logLines(s.tf.logFile, /^stopping: draining/).length > 0, 30_000, 50);
    assert.equal(s.tf.child.exitCode, null, 'still draining after the first signal (the drain is stuck on the outage)');
    s.tf.child.kill('SIGTERM');
    const code = await withinMs(s.tf.exited, 15_000, 'tracefold after a second SIGTERM');
    assert.equal(code, 130, `exit code 130 after the second signal (log ${s.tf.logFile})`);
  } finally {
    await cleanUp(s);
  }
});

test('SIGTERM with everything written: exit 0 without waiting out the shutdown timeout, everything committed', {
  timeout: 180_000,
}, async () => {
  await requireSearchEngine();
  const adminPort = await freePort();
  const topic = uniqueName('tf-cleanstop');
  const index = uniqueName('tfcleanstop');
  const group = uniqueName('g');
  await ensureTopics(KAFKA, [{ topic, partitions: 2 }]);
  // A 10-minute timeout: a stop that waits on anything but real work shows as a hang. (The Kafka
  // client's close revokes the partitions; that revocation once asked the closing workers for a
  // drain they never answered, and every stop took the whole timeout.)
  const tf = startTracefold(
    ['ingest', '--workers', '2', '--admin-port', String(adminPort), '--window-quiet-ms', '200ms', '--shutdown-timeout-ms', '10m'],
    { KAFKA_BOOTSTRAP_SERVERS: KAFKA, KAFKA_TOPIC: topic, KAFKA_GROUP_ID: group, ...searchEnv(index) },
    index,
  );
  try {
    const produced = await produceTraces(topic, syntheticTraces(2, 3));
    await waitFor('every record written and committed', async () => (await committedTotal(group, topic, 2)) >= produced, 90_000, 200);
    assert.equal(await metric(adminPort, 'tracefold_outstanding_messages'), 0, 'nothing outstanding before the signal');
    tf.child.kill('SIGTERM');
    const code = await withinMs(tf.exited, 30_000, 'tracefold after SIGTERM with nothing left to write');
    assert.equal(code, 0, `exit code 0 (log ${tf.logFile})`);
    assert.equal(await committedTotal(group, topic, 2), produced, 'every record committed');
  } finally {
    tf.child.kill('SIGKILL');
    await deleteIndices(`${index}-*`);
    await deleteTopic(KAFKA, topic).catch(() => undefined);
  }
});
