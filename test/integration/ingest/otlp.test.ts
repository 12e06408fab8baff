/**
 * OTLP end to end, against the real servers. The OpenTelemetry Python SDK makes spans of every
 * kind, status and attribute type with events, links and resource attributes; (1) its own OTLP
 * encoder's bytes go through Kafka, next to a record that is neither OTLP nor Zipkin, and (2) its
 * own OTLP/HTTP exporter posts to tracefold's `POST /v1/traces`. The stock Zipkin server reading
 * tracefold's index must return exactly what the SDK's Zipkin exporter wrote for those spans
 * (less `debug`, which that exporter sets from the sampled flag, and the remote endpoints it never
 * derives, which are checked against the spec's ranking), and the bad record must be dead-lettered.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Kafka from 'node-rdkafka';
import { decodeJsonV2 } from '../../../core/codec/decode/json-v2.js';
import { encodeJsonV2 } from '../../../core/codec/encode/json-v2.js';
import type { Span } from '../../../core/model/span.js';
import { type ServerHandle, startZipkin } from '../../../infra/index.js';
import { deleteTopic, ensureTopics } from '../../../src/kafka/admin.js';
import { KafkaProducer } from '../../../src/kafka/producer.js';
import { exportOtlpHttp, otelOracle } from '../../helpers/otel.js';
import { deleteIndices } from '../../helpers/search.js';
import { KAFKA, OPENSEARCH, requireHttp, uniqueName } from '../../helpers/servers.js';
import { type Running, startTracefold, waitFor } from '../../helpers/tracefold.js';
import { zipkinGet } from '../../helpers/zipkin-api.js';

const topic = uniqueName('tf-otlp');
// A topic whose encoding is set (kafka.topicEncodings): an OTLP request there is read as JSON v2.
const jsonTopic = uniqueName('tf-otlp-json');
const index = uniqueName('tfotlp');
const HTTP_PORT = 19418;
let zipkin: ServerHandle;
let tracefold: Running;
type Json = Record<string, unknown>;

async function trace(id: string): Promise<Json[]> {
  return (await zipkinGet<Json[]>(zipkin.url, `/api/v2/trace/${id}`)) ?? [];
}

/** The SDK Zipkin exporter's spans as Zipkin's API would return them, without debug/remoteEndpoint. */
function expected(zipkinJson: Json[]): Map<string, Json> {
  const spans = decodeJsonV2(Buffer.from(JSON.stringify(zipkinJson)));
  assert.deepEqual(spans.errors, []);
  const out = new Map<string, Json>();
  for (const s of spans.spans) {
    const { debug: _debug, ...rest } = s;
    out.set(s.id, JSON.parse(Buffer.from(encodeJsonV2([rest as Span])).toString())[0] as Json);
  }
  return out;
}

const REMOTE: Record<string, unknown> = {
  'client-call': { serviceName: 'payments' },
  produce: { serviceName: 'kafka.internal', port: 9092 },
  'second-trace-client': { ipv4: '10.1.2.3', port: 5432 },
};

async function assertStored(traceIds: string[], zipkinJson: Json[], what: string): Promise<void> {
  const want = expected(zipkinJson);
  let got: Json[] = [];
  await waitFor(
    `${what}: Zipkin to return all ${want.size} spans`,
    async () => {
      got = (await Promise.all(traceIds.map(trace))).flat();
      return got.length >= want.size;
    },
    120_000,
    1000,
  );
  assert.equal(got.length, want.size, `${what}: span count`);
  for (const s of got) {
    const { remoteEndpoint, ...rest } = s;
    assert.deepEqual(rest, want.get(s.id as string), `${what}: span ${s.name}`);
    assert.deepEqual(remoteEndpoint, REMOTE[s.name as string], `${what}: remote endpoint of ${s.name}`);
  }
}

before(async () => {
  await requireHttp(OPENSEARCH, 'OpenSearch');
  await ensureTopics(KAFKA, [
    { topic, partitions: 2 },
    { topic: jsonTopic, partitions: 1 },
  ]);
  zipkin = await startZipkin({ name: 'zipkin-otlp-reader', port: 9417, esIndex: index });
  tracefold = startTracefold(
    [
      'ingest',
      '--workers',
      '2',
      '--admin-port',
      '0',
      '--window-quiet-ms',
      '300ms',
      '--http-enabled',
      '--http-port',
      String(HTTP_PORT),
      '--kafka-topic-encoding',
      `${jsonTopic}=json-v2`,
    ],
    {
      KAFKA_BOOTSTRAP_SERVERS: KAFKA,
      KAFKA_TOPIC: `${topic},${jsonTopic}`,
      KAFKA_GROUP_ID: uniqueName('tf'),
      ES_HOSTS: OPENSEARCH,
      ES_INDEX: index,
      ES_INDEX_SHARDS: '1',
      ES_INDEX_REPLICAS: '0',
    },
    index,
  );
  await waitFor(
    'the OTLP/HTTP intake to listen',
    async () => {
      try {
        const res = await fetch(`http://127.0.0.1:${HTTP_PORT}/v1/traces`, { method: 'GET' });
        await res.arrayBuffer();
        return res.status === 405;
      } catch {
        return false;
      }
    },
    60_000,
  );
});

after(async () => {
  tracefold?.child.kill('SIGTERM');
  if (tracefold) assert.equal(await tracefold.exited, 0, `tracefold exits cleanly (log: ${tracefold.logFile})`);
  await zipkin?.stop();
  await deleteIndices(`${index}-*`);
  await deleteTopic(KAFKA, topic).catch(() => undefined);
  await deleteTopic(KAFKA, jsonTopic).catch(() => undefined);
  await deleteTopic(KAFKA, `${topic}.dead-letter`).catch(() => undefined);
});

test('SDK OTLP protobuf through Kafka reads back from Zipkin as the SDK Zipkin exporter wrote it; a bad record is dead-lettered', async () => {
  const oracle = otelOracle(uniqueName('kafka'));
  const producer = await KafkaProducer.connect(KAFKA);
  try {
    await producer.send({ topic, value: oracle.otlpProto });
    await producer.send({ topic, value: Buffer.from('{"neither": "otlp nor zipkin"}') });
    await producer.send({ topic: jsonTopic, value: oracle.otlpProto });
  } finally {
    await producer.close();
  }
  await assertStored(oracle.traceIds, oracle.zipkinJson, 'kafka');
  const dead = await readDeadLetters(`${topic}.dead-letter`, 2);
  assert.equal(dead.length, 2);
  const bySource = new Map(
    dead.map((m) => {
      const h = Object.assign({}, ...(m.headers ?? [])) as Record<string, Buffer>;
      return [h['tracefold-source-topic']?.toString(), { value: m.value, h }] as const;
    }),
  );
  const neither = bySource.get(topic);
  assert.equal(neither?.value?.toString(), '{"neither": "otlp nor zipkin"}');
  assert.match(neither?.h['tracefold-reason']?.toString() ?? '', /JSON object/);
  // The topic's configured encoding wins over detection: the OTLP bytes were read as JSON v2.
  const forced = bySource.get(jsonTopic);
  assert.equal(forced?.h['tracefold-encoding']?.toString(), 'json-v2');
  assert.deepEqual(forced?.value, oracle.otlpProto);
});

test('the SDK OTLP/HTTP exporter posting to /v1/traces reads back from Zipkin as its Zipkin exporter wrote it', async () => {
  const sent = exportOtlpHttp(`http://127.0.0.1:${HTTP_PORT}/v1/traces`, uniqueName('http'));
  await assertStored(sent.traceIds, sent.zipkinJson, 'http');
  const services = (await zipkinGet<string[]>(zipkin.url, '/api/v2/services')) ?? [];
  assert.ok(services.includes(sent.service.toLowerCase()), `service ${sent.service} listed`);
});

async function readDeadLetters(dlq: string, expectedCount: number): Promise<Kafka.Message[]> {
  const consumer = new Kafka.KafkaConsumer(
    { 'metadata.broker.list': KAFKA, 'group.id': uniqueName('dlq-reader'), 'enable.auto.commit': false },
    {},
  );
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())));
  const out: Kafka.Message[] = [];
  try {
    consumer.assign([{ topic: dlq, partition: 0, offset: 0 }]);
    const deadline = Date.now() + 60_000;
    while (out.length < expectedCount && Date.now() < deadline) {
      out.push(
        ...(await new Promise<Kafka.Message[]>((resolve, reject) => consumer.consume(100, (err, m) => (err ? reject(err) : resolve(m))))),
      );
    }
  } finally {
    await new Promise<void>((r) => consumer.disconnect(() => r()));
  }
  return out;
}
