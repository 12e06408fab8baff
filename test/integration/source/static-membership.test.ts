/**
 * Fast recovery through static group membership: a node killed with SIGKILL and restarted with
 * the same group.instance.id takes its own place in the group at once, instead of waiting for the
 * dead member's session to time out (45 s by default) before a rebalance hands the partitions out.
 * Measured from the restart (process spawn) to its first offset commit.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deleteTopic, ensureTopics } from '../../../src/kafka/admin.js';
import { committedTotal, produceTraces } from '../../helpers/kafka.js';
import { deleteIndices } from '../../helpers/search.js';
import { KAFKA, OPENSEARCH, requireHttp, uniqueName } from '../../helpers/servers.js';
import { logLines, startTracefold, waitFor } from '../../helpers/tracefold.js';
import { syntheticTraces } from '../../helpers/traffic.js';

const PARTITIONS = 3;
// Well under the 45 s session timeout a dynamic member waits out; measured from spawn, so it includes
// tsx start-up and preflight (about 2 s here, several times that on a loaded CI machine).
const RECOVERY_LIMIT_MS = 20_000;

test('restart after SIGKILL with static membership: partitions resumed and committing within 20 s', { timeout: 300_000 }, async () => {
  await requireHttp(OPENSEARCH, 'OpenSearch');
  const topic = uniqueName('tf-static');
  const index = uniqueName('tfstatic');
  const group = uniqueName('tf-static-group');
  await ensureTopics(KAFKA, [{ topic, partitions: PARTITIONS }]);
  const args = ['ingest', '--workers', '1', '--admin-port', '0', '--window-quiet-ms', '200ms', '--kafka-commit-interval-ms', '300ms'];
  const env = {
    KAFKA_BOOTSTRAP_SERVERS: KAFKA,
    KAFKA_TOPIC: topic,
    KAFKA_GROUP_ID: group,
    TRACEFOLD_KAFKA_GROUP_INSTANCE_ID: uniqueName('node'),
    ES_HOSTS: OPENSEARCH,
    ES_INDEX: index,
    ES_INDEX_REPLICAS: '0',
    ES_INDEX_SHARDS: '1',
  };
  const first = startTracefold(args, env, `${index}-first`);
  let second: ReturnType<typeof startTracefold> | undefined;
  try {
    const before = await produceTraces(topic, syntheticTraces(1, 1));
    await waitFor(
      'the first node to commit everything',
      async () => (await committedTotal(group, topic, PARTITIONS)) === before,
      120_000,
      200,
    );
    first.child.kill('SIGKILL');
    await first.exited;
    const after = before + (await produceTraces(topic, syntheticTraces(1, 2)));

    const restartedAt = Date.now();
    second = startTracefold(args, env, `${index}-second`);
    await waitFor('the restarted node to commit', async () => (await committedTotal(group, topic, PARTITIONS)) > before, 60_000, 100);
    const firstCommitMs = Date.now() - restartedAt;
    const assigned = logLines(second.logFile, /^partitions assigned$/)[0];
    const assignedMs = assigned === undefined ? Number.NaN : assigned.time - restartedAt;
    process.stdout.write(`[recovery] restart → partitions assigned ${assignedMs} ms, → first commit ${firstCommitMs} ms\n`);
    assert.ok(firstCommitMs <= RECOVERY_LIMIT_MS, `first commit ${firstCommitMs} ms after the restart (limit ${RECOVERY_LIMIT_MS} ms)`);
    assert.equal(
      new Set((assigned?.partitions as string[] | undefined) ?? []).size,
      PARTITIONS,
      'the restarted node got every partition back in its first assignment',
    );

    await waitFor('offsets committed to the end', async () => (await committedTotal(group, topic, PARTITIONS)) === after, 120_000, 200);
    second.child.kill('SIGTERM');
    assert.equal(await second.exited, 0, `clean exit (log ${second.logFile})`);
  } finally {
    first.child.kill('SIGKILL');
    second?.child.kill('SIGKILL');
    await deleteIndices(`${index}-*`);
    await deleteTopic(KAFKA, topic).catch(() => undefined);
  }
});
