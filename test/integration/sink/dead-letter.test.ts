/**
 * Poison input never stops a partition and is never lost: undecodable records and partly bad
 * ones go to the dead-letter topic with their original bytes and tracefold-* headers, the good
 * spans of a partly bad record are still stored, and /metrics counts the errors by reason.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deleteTopic, ensureTopics } from '../../../src/kafka/admin.js';
import { KafkaProducer } from '../../../src/kafka/producer.js';
import { readTopic } from '../../helpers/kafka.js';
import { deleteIndices, storedSpanKeys } from '../../helpers/search.js';
import { KAFKA, requireSearchEngine, SEARCH_LABEL, uniqueName } from '../../helpers/servers.js';
import { searchEnv, startTracefold, waitFor } from '../../helpers/tracefold.js';

const ADMIN_PORT = 19464;

test(`bad records go to the dead-letter topic with reasons; good spans are stored in ${SEARCH_LABEL}`, { timeout: 180_000 }, async () => {
  await requireSearchEngine();
  const topic = uniqueName('tf-dlq');
  const dlq = `${topic}.dead-letter`;
  const index = uniqueName('tfdlq');
  await ensureTopics(KAFKA, [{ topic, partitions: 2 }]);
  const good = { traceId: 'a1', id: 'b1', name: 'ok', timestamp: 1_700_000_000_000_000, localEndpoint: { serviceName: 'svc' } };
  const partlyBad = JSON.stringify([
    { ...good, id: 'b2' },
    { ...good, id: 'not-hex!' },
  ]);
  const records = [JSON.stringify([good]), 'hello, not spans', partlyBad, '[{"traceId":"a1","id":"b3","tags":{"x":1}}]'];
  const producer = await KafkaProducer.connect(KAFKA);
  try {
    for (const r of records) await producer.send({ topic, value: Buffer.from(r) });
  } finally {
    await producer.close();
  }
  const tf = startTracefold(
    ['ingest', '--workers', '2', '--admin-port', String(ADMIN_PORT), '--window-quiet-ms', '200ms'],
    {
      KAFKA_BOOTSTRAP_SERVERS: KAFKA,
      KAFKA_TOPIC: topic,
      KAFKA_GROUP_ID: uniqueName('g'),
      ...searchEnv(index),
    },
    index,
  );
  try {
    await waitFor('the good spans to be stored', async () => (await storedSpanKeys(`${index}-span-*`)).size >= 3, 90_000);
    const stored = [...(await storedSpanKeys(`${index}-span-*`)).keys()].map((k) => k.split('/')[1]).sort();
    assert.deepEqual(stored, ['00000000000000b1', '00000000000000b2', '00000000000000b3']);

    const dead = await readTopic(dlq, 2);
    assert.equal(dead.length, 2, 'one dead letter per bad record');
    const byValue = new Map(
      dead.map((m) => [m.value?.toString() ?? '', Object.assign({}, ...(m.headers ?? [])) as Record<string, Buffer>]),
    );
    const garbage = byValue.get('hello, not spans');
    assert.ok(garbage, 'the undecodable record is kept byte for byte');
    assert.equal(garbage['tracefold-code']?.toString(), 'unknown_format');
    assert.equal(garbage['tracefold-source-topic']?.toString(), topic);
    assert.match(garbage['tracefold-offset']?.toString() ?? '', /^\d+$/);
    const partial = byValue.get(partlyBad);
    assert.ok(partial, 'the partly bad record is kept whole');
    assert.equal(partial['tracefold-code']?.toString(), 'invalid_id');
    assert.equal(partial['tracefold-encoding']?.toString(), 'json-v2');
    assert.match(partial['tracefold-reason']?.toString() ?? '', /not-hex/);

    // Workers report their counters about once a second: wait for the report, then assert on it.
    let metrics = '';
    await waitFor(
      'the decode error and the dead letter to be counted',
      async () => {
        metrics = await (await fetch(`http://127.0.0.1:${ADMIN_PORT}/metrics`)).text();
        return metrics.includes('reason="unknown_format"} ') && metrics.includes('tracefold_dead_lettered_total{reason="invalid_id"} ');
      },
      30_000,
    );
    assert.match(metrics, /tracefold_pipeline_events_total\{event="decode_errors",encoding="unknown",reason="unknown_format"\} 1/);
    assert.match(metrics, /tracefold_dead_lettered_total\{reason="invalid_id"\} 1/);
    const health = (await (await fetch(`http://127.0.0.1:${ADMIN_PORT}/health`)).json()) as { status: string };
    assert.equal(health.status, 'UP');
    tf.child.kill('SIGTERM');
    assert.equal(await tf.exited, 0);
  } finally {
    tf.child.kill('SIGKILL');
    await deleteIndices(`${index}-*`);
    await deleteTopic(KAFKA, topic).catch(() => undefined);
    await deleteTopic(KAFKA, dlq).catch(() => undefined);
  }
});
