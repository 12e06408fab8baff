/**
 * End to end: spans (shared real traces and rule-shaped generated ones) go to Kafka, spread over
 * partitions and split over messages; `tracefold replay` (2 workers) writes them to OpenSearch; the
 * stock Zipkin server reading tracefold's indices must answer `/api/v2/dependencies` exactly like a
 * stock Zipkin with in-memory storage given the same spans. Replaying the same range again must
 * leave the counts (and the dependency documents) unchanged.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { decodeMessage } from '../../../core/codec/decode/index.js';
import { encodeJsonV2 } from '../../../core/codec/encode/json-v2.js';
import type { Span } from '../../../core/model/span.js';
import { type ServerHandle, startZipkin, stopServers } from '../../../infra/index.js';
import { shiftToNow } from '../../../src/cli/produce.js';
import { deleteTopic, ensureTopics } from '../../../src/kafka/admin.js';
import { KafkaProducer } from '../../../src/kafka/producer.js';
import { linkTestTrace } from '../../helpers/link-traffic.js';
import { createPrng } from '../../helpers/prng.js';
import { countDocs, deleteIndices } from '../../helpers/search.js';
import { KAFKA, OPENSEARCH, requireHttp, uniqueName } from '../../helpers/servers.js';
import { startTracefold, waitFor } from '../../helpers/tracefold.js';
import { sharedTraces } from '../../helpers/traffic.js';
import { zipkinGet, zipkinPost } from '../../helpers/zipkin-api.js';

const MEM = 'zipkin-deps-e2e-mem';
const READER = 'zipkin-deps-e2e-reader';
const MEM_PORT = Number(process.env.TF_DEPS_MEM_PORT ?? 9438);
const READER_PORT = Number(process.env.TF_DEPS_READER_PORT ?? 9439);
const topic = uniqueName('tf-deps');
const prefix = uniqueName('tfdeps');
const env = { KAFKA_BOOTSTRAP_SERVERS: KAFKA, ES_HOSTS: OPENSEARCH, ES_INDEX_REPLICAS: '0', ES_INDEX_SHARDS: '1' };
let mem: ServerHandle | undefined;
let reader: ServerHandle | undefined;
let from = '';
let to = '';

interface Link {
  parent: string;
  child: string;
  callCount: number;
  errorCount?: number;
}

async function dependencies(base: string): Promise<string[]> {
  const endTs = Date.now() + 60_000;
  const links = (await zipkinGet<Link[]>(base, `/api/v2/dependencies?endTs=${endTs}&lookback=${2 * 3_600_000}`)) ?? [];
  return links.map((l) => `${l.parent} -> ${l.child}: calls=${l.callCount} errors=${l.errorCount ?? 0}`).sort();
}

/** Windows wider than the replay: every trace is linked whole, as Zipkin links it. */
async function replay(): Promise<void> {
  const run = startTracefold(
    [
      'replay',
      '--topic',
      topic,
      '--from',
      from,
      '--to',
      to,
      '--workers',
      '2',
      '--window-quiet-ms',
      '20s',
      '--window-max-window-ms',
      '60s',
      '--es-index-prefix',
      prefix,
    ],
    env,
    `${prefix}-replay`,
  );
  assert.equal(await run.exited, 0, `replay exits 0 (log ${run.logFile})`);
}

before(async () => {
  await requireHttp(OPENSEARCH, 'OpenSearch');
  await ensureTopics(KAFKA, [{ topic, partitions: 3 }]);
  await stopServers([MEM]); // in-memory storage must start empty
  [mem, reader] = await Promise.all([
    startZipkin({ name: MEM, port: MEM_PORT, env: { STORAGE_TYPE: 'mem' } }, { dependencies: false }),
    startZipkin({ name: READER, port: READER_PORT, esIndex: prefix }),
  ]);
});

after(async () => {
  await Promise.all([mem?.stop(), reader?.stop()]);
  await deleteIndices(`${prefix}-*`);
  await deleteTopic(KAFKA, topic).catch(() => undefined);
});

test('Zipkin reads the dependency links tracefold wrote as its in-memory linker computes them; a second replay changes nothing', {
  timeout: 300_000,
}, async () => {
  const prng = createPrng(4242);
  const traces: Span[][] = [];
  for (const t of sharedTraces()) {
    shiftToNow(t.spans, (Date.now() - 30 * 60_000) * 1000);
    traces.push(t.spans);
  }
  const start = (Date.now() - 40 * 60_000) * 1000;
  for (let i = 0; i < 150; i++) traces.push(linkTestTrace(prng, start + i * 2000));
  // One span per message for half the traces: their spans meet again only by trace-ID sharding.
  const messages: Buffer[] = [];
  traces.forEach((t, i) => {
    const step = i % 2 === 0 ? 1 : t.length;
    for (let j = 0; j < t.length; j += step) messages.push(Buffer.from(encodeJsonV2(t.slice(j, j + step))));
  });
  // The oracle gets what each message decodes to, detected as Zipkin's Kafka collector does (a
  // lone span without endpoints reads as JSON v1 and loses its kind, on both sides).
  const decoded = messages.flatMap((m) => decodeMessage(m).spans);

  from = new Date(Date.now() - 1000).toISOString();
  const producer = await KafkaProducer.connect(KAFKA);
  try {
    await Promise.all(messages.map((value) => producer.send({ topic, value })));
  } finally {
    await producer.close();
  }
  to = new Date(Date.now() + 1000).toISOString();
  for (let i = 0; i < decoded.length; i += 500) {
    await zipkinPost(mem?.url as string, decoded.slice(i, i + 500));
  }
  const expected = await dependencies(mem?.url as string);
  assert.ok(expected.length >= 10, `the oracle sees a real graph: ${expected.length} edges`);

  await replay();
  const docs = await countDocs(`${prefix}-dependency-*`);
  assert.ok(docs > 0, 'replay wrote dependency documents');
  let actual: string[] = [];
  await waitFor(
    "Zipkin's dependencies over tracefold's index to match the in-memory oracle",
    async () => {
      actual = await dependencies(reader?.url as string);
      return JSON.stringify(actual) === JSON.stringify(expected);
    },
    30_000,
  ).catch(() => assert.deepEqual(actual, expected));

  await replay();
  assert.equal(await countDocs(`${prefix}-dependency-*`), docs, 'the second replay overwrote the same documents');
  assert.deepEqual(await dependencies(reader?.url as string), expected, 'counts unchanged after the second replay');
});
