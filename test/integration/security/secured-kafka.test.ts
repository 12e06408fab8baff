/**
 * A Kafka cluster that requires SASL (SCRAM-SHA-512): every client tracefold opens reaches it with
 * the right credentials (produce's admin and producer, ingest's consumer and dead-letter producer,
 * replay's planner and consumer), and the wrong ones are refused at once with a clear error. The
 * planted passwords never appear in any output. The test starts its own broker (a SASL_PLAINTEXT
 * listener beside PLAINTEXT, the user created when the storage is formatted) on other ports and
 * stops it at the end; the shared broker is never touched.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { KafkaProducer } from '../../../src/kafka/producer.js';
import { assertIdentity, compareIdentities, expectedIdentities } from '../../helpers/identity.js';
import { committedTotal, readTopic } from '../../helpers/kafka.js';
import { OwnKafka } from '../../helpers/own-kafka.js';
import { deleteIndices, storedSpanKeys } from '../../helpers/search.js';
import { OPENSEARCH, requireHttp, uniqueName } from '../../helpers/servers.js';
import { startTracefold, waitFor } from '../../helpers/tracefold.js';
import { syntheticTraces } from '../../helpers/traffic.js';

const ROOT = join(import.meta.dirname, '../../..');
const PORT = Number(process.env.TF_SECURED_KAFKA_PORT ?? 19392);
const SASL_PORT = PORT + 2;
const USER = 'tracefold';
const PASSWORD = 'planted-kafka-password-c0ffee';
const WRONG = 'planted-wrong-password-decaf';
const BOOTSTRAP = `127.0.0.1:${SASL_PORT}`;
const props = (password: string): Record<string, string> => ({
  'security.protocol': 'SASL_PLAINTEXT',
  'sasl.mechanism': 'SCRAM-SHA-512',
  'sasl.username': USER,
  'sasl.password': password,
});
const asEnv = (p: Record<string, string>): string =>
  Object.entries(p)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
const SECURE = { bootstrapServers: BOOTSTRAP, properties: props(PASSWORD) };

/** Runs the CLI to completion; returns its exit code and everything it printed. */
async function cli(args: string[], env: Record<string, string>, name: string): Promise<{ code: number | null; output: string }> {
  const run = startTracefold(args, env, name);
  const code = await run.exited;
  // The log file is written through a stream: wait for the child's output to be flushed into it.
  await new Promise((r) => setImmediate(r));
  return { code, output: readFileSync(run.logFile, 'utf8') };
}

describe('Kafka with SASL/SCRAM', { timeout: 600_000 }, () => {
  const broker = new OwnKafka(PORT, { TF_KAFKA_SASL_PORT: String(SASL_PORT), TF_KAFKA_SASL_USER: USER, TF_KAFKA_SASL_PASSWORD: PASSWORD });
  const runDir = broker.runDir;
  const outputs: string[] = [];
  before(async () => {
    await requireHttp(OPENSEARCH, 'OpenSearch');
    broker.up();
  });
  after(() => {
    broker.destroy();
  });

  test('produce, ingest (consumer + dead-letter producer) and replay all work with the right credentials', async () => {
    const topic = uniqueName('tf-sasl');
    const index = uniqueName('tfsasl');
    const group = uniqueName('g');
    const traces = syntheticTraces(1, 21).slice(0, 40);
    const file = join(runDir, 'traces.json');
    writeFileSync(file, JSON.stringify(traces.flat()));
    const kafkaEnv = { KAFKA_BOOTSTRAP_SERVERS: BOOTSTRAP, TRACEFOLD_KAFKA_LIBRDKAFKA: asEnv(props(PASSWORD)) };

    const produced = await cli(['produce', '--topic', topic, '--partitions', '2', '-n', '5', file], kafkaEnv, `${index}-produce`);
    outputs.push(produced.output);
    assert.equal(produced.code, 0, `produce exits 0: ${produced.output.slice(-500)}`);
    // A record with no span at all must reach the dead-letter topic through the secured cluster.
    const producer = await KafkaProducer.connect(SECURE);
    await producer.send({ topic, partition: 0, value: Buffer.from('not spans') });
    await producer.close();

    const tf = startTracefold(
      ['ingest', '--workers', '1', '--admin-port', '0', '--window-quiet-ms', '200ms', '--kafka-commit-interval-ms', '300ms'],
      {
        ...kafkaEnv,
        KAFKA_TOPIC: topic,
        KAFKA_GROUP_ID: group,
        ES_HOSTS: OPENSEARCH,
        ES_INDEX: index,
        ES_INDEX_REPLICAS: '0',
        ES_INDEX_SHARDS: '1',
      },
      `${index}-ingest`,
    );
    try {
      const messages = Math.ceil(traces.flat().length / 5) + 1;
      await waitFor(
        'offsets committed to the end', // A fresh broker answers 'not coordinator' until its offsets topic exists.
        async () => (await committedTotal(group, topic, 2, SECURE).catch(() => -1)) === messages,
        120_000,
        300,
      );
      tf.child.kill('SIGTERM');
      assert.equal(await tf.exited, 0, `clean exit (log ${tf.logFile})`);
      outputs.push(readFileSync(tf.logFile, 'utf8'));
      assertIdentity(
        compareIdentities('secured Kafka (SASL/SCRAM)', expectedIdentities([traces.flat()]), await storedSpanKeys(`${index}-span-*`)),
      );
      const dead = await readTopic(`${topic}.dead-letter`, 1, SECURE);
      assert.deepEqual(
        dead.map((m) => m.value?.toString()),
        ['not spans'],
        'the record with no span reached the dead-letter topic through the secured cluster',
      );

      const replay = await cli(
        ['replay', '--dry-run', '--json', '--from', 'earliest', '--to', 'latest'],
        { ...kafkaEnv, KAFKA_TOPIC: topic, ES_HOSTS: OPENSEARCH },
        `${index}-replay`,
      );
      outputs.push(replay.output);
      assert.equal(replay.code, 0, `replay --dry-run through the secured cluster exits 0: ${replay.output.slice(-800)}`);
    } finally {
      tf.child.kill('SIGKILL');
      await deleteIndices(`${index}-*`);
    }
  });

  test('wrong credentials are refused at once with a clear error, by produce and by ingest', async () => {
    const topic = uniqueName('tf-sasl-wrong');
    const file = join(runDir, 'one.json');
    writeFileSync(file, JSON.stringify(syntheticTraces(1, 22)[0]?.slice(0, 2)));
    const wrongEnv = { KAFKA_BOOTSTRAP_SERVERS: BOOTSTRAP, TRACEFOLD_KAFKA_LIBRDKAFKA: asEnv(props(WRONG)) };
    const produced = await cli(['produce', '--topic', topic, file], wrongEnv, `${topic}-produce`);
    outputs.push(produced.output);
    assert.notEqual(produced.code, 0);
    assert.match(produced.output, /refused tracefold's credentials.*SASL authentication error/);

    const ingest = await cli(
      ['ingest', '--admin-port', '0'],
      { ...wrongEnv, KAFKA_TOPIC: topic, KAFKA_GROUP_ID: uniqueName('g'), ES_HOSTS: OPENSEARCH, ES_INDEX: uniqueName('tfsaslwrong') },
      `${topic}-ingest`,
    );
    outputs.push(ingest.output);
    assert.notEqual(ingest.code, 0, 'ingest does not start');
    assert.match(ingest.output, /TF_KAFKA_AUTH|refused tracefold's credentials/);
  });

  test('the planted passwords never appear in any output, --help included', () => {
    const help = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/run.ts'), 'ingest', '--help'], {
      cwd: ROOT,
      env: { ...process.env, TRACEFOLD_KAFKA_LIBRDKAFKA: asEnv(props(PASSWORD)) },
      encoding: 'utf8',
    });
    outputs.push(help.stdout + help.stderr);
    assert.ok(outputs.length >= 5, 'every earlier run left its output');
    for (const out of outputs) {
      assert.doesNotMatch(out, new RegExp(PASSWORD));
      assert.doesNotMatch(out, new RegExp(WRONG));
    }
  });
});
