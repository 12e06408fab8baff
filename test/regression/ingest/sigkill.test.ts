/**
 * Crash safety, repeatedly: while traffic keeps arriving, the ingest node is killed with SIGKILL at
 * a random moment ten times, each time restarted (same static member id, so it resumes its
 * partitions at once). Judged by identity: every produced span is stored exactly once, none is
 * missing, none extra, and the committed offsets reach the end. The seed is printed (replay with
 * TF_FAULT_SEED).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Span } from '../../../core/model/span.js';
import { deleteTopic, ensureTopics } from '../../../src/kafka/admin.js';
import { assertIdentity, compareIdentities, expectedIdentities } from '../../helpers/identity.js';
import { committedTotal, produceTraces } from '../../helpers/kafka.js';
import { createPrng } from '../../helpers/prng.js';
import { deleteIndices, storedSpanKeys } from '../../helpers/search.js';
import { KAFKA, requireSearchEngine, SEARCH, uniqueName } from '../../helpers/servers.js';
import { logLines, type Running, startTracefold, waitFor } from '../../helpers/tracefold.js';
import { syntheticTraces } from '../../helpers/traffic.js';

const PARTITIONS = 6;
const KILLS = 10;

test(`SIGKILL at ${KILLS} random moments with restarts: every span stored exactly once`, { timeout: 900_000 }, async () => {
  await requireSearchEngine();
  const seed = Number(process.env.TF_FAULT_SEED ?? Date.now() % 1_000_000);
  process.stdout.write(`[sigkill] seed ${seed}\n`);
  const prng = createPrng(seed);
  const topic = uniqueName('tf-sigkill');
  const index = uniqueName('tfkill');
  const group = uniqueName('tf-sigkill-group');
  await ensureTopics(KAFKA, [{ topic, partitions: PARTITIONS }]);

  // Traffic keeps arriving during the kills: a round of distinct traces (~2,200 spans) per life, sent
  // while the node starts and works, so each kill lands with records read but not yet committed.
  const produced: Span[][] = [];
  let messages = 0;
  const produceRound = async (round: number): Promise<void> => {
    const traces = syntheticTraces(1, seed * 100 + round);
    produced.push(...traces);
    messages += await produceTraces(topic, traces);
  };
  await produceRound(0);

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
    TRACEFOLD_KAFKA_GROUP_INSTANCE_ID: `${group}-node`,
    ES_HOSTS: SEARCH,
    ES_INDEX: index,
    ES_INDEX_REPLICAS: '0',
    ES_INDEX_SHARDS: '1',
  };
  let node: Running | undefined;
  try {
    const lives: string[] = [];
    for (let kill = 1; kill <= KILLS; kill++) {
      const committedBefore = await committedTotal(group, topic, PARTITIONS);
      const startedAt = Date.now();
      node = startTracefold(args, env, `${index}-life${kill}`);
      const traffic = produceRound(kill);
      // Each life must make progress (a commit past the previous one) before it is killed.
      await waitFor(`life ${kill} to commit`, async () => (await committedTotal(group, topic, PARTITIONS)) > committedBefore, 120_000, 100);
      const resumedMs = Date.now() - startedAt;
      const assigned = logLines(node.logFile, /^partitions assigned$/)[0];
      await traffic;
      const delayMs = prng.int(2000);
      await new Promise((r) => setTimeout(r, delayMs)); // the random moment of the kill
      node.child.kill('SIGKILL');
      await node.exited;
      lives.push(
        `${kill}: assigned after ${assigned ? assigned.time - startedAt : '?'} ms, committing after ${resumedMs} ms, killed ${delayMs} ms later`,
      );
    }
    process.stdout.write(`[sigkill] ${lives.join('; ')}\n`);

    node = startTracefold(args, env, `${index}-final`);
    const finalLog = node.logFile;
    await produceRound(KILLS + 1);
    await waitFor(
      'the final node to be assigned its partitions',
      async () => logLines(finalLog, /^partitions assigned$/).length > 0,
      120_000,
      100,
    );
    let committed = 0;
    await waitFor(
      `offsets committed to the end (${messages} messages)`,
      async () => {
        committed = await committedTotal(group, topic, PARTITIONS);
        return committed === messages;
      },
      180_000,
      500,
    ).catch((err: Error) => {
      throw new Error(`${err.message}: ${committed} committed (log ${node?.logFile})`);
    });
    node.child.kill('SIGTERM');
    assert.equal(await node.exited, 0, `clean exit after SIGTERM (log: ${node.logFile})`);

    assertIdentity(
      compareIdentities(`SIGKILL x${KILLS} (seed ${seed})`, expectedIdentities(produced), await storedSpanKeys(`${index}-span-*`)),
    );
  } finally {
    node?.child.kill('SIGKILL');
    await deleteIndices(`${index}-*`);
    await deleteTopic(KAFKA, topic).catch(() => undefined);
  }
});
