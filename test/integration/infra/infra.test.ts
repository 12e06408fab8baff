import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import Kafka from 'node-rdkafka';
import { portOpen } from '../../../infra/http.js';
import {
  ensureKafka,
  ensureOpenSearch,
  HOST,
  InfraError,
  KAFKA_BOOTSTRAP,
  KAFKA_PORT,
  logFile,
  OPENSEARCH_URL,
  startZipkin,
  ZIPKIN_PORT,
} from '../../../infra/index.js';
import { describeKafka } from '../../../infra/kafka-probe.js';
import { zipkinGet } from '../../helpers/zipkin-api.js';

function hex(bytes: number): string {
  return Array.from({ length: bytes }, () =>
    Math.floor(Math.random() * 256)
      .toString(16)
      .padStart(2, '0'),
  ).join('');
}

async function produce(topic: string, value: Buffer): Promise<void> {
  const producer = new Kafka.Producer({ 'metadata.broker.list': KAFKA_BOOTSTRAP });
  await new Promise<void>((resolve, reject) => producer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())));
  try {
    producer.produce(topic, null, value, null);
    await new Promise<void>((resolve, reject) => producer.flush(10_000, (err) => (err ? reject(err) : resolve())));
  } finally {
    await new Promise<void>((resolve) => producer.disconnect(() => resolve()));
  }
}

async function poll<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

test('ensureKafka reuses a healthy broker that answers Metadata on 127.0.0.1', async () => {
  await ensureKafka();
  const again = await ensureKafka();
  assert.notEqual(again.outcome, 'started', 'a second ensure must not start another broker');
  assert.equal(again.url, KAFKA_BOOTSTRAP);
  const info = await describeKafka(HOST, KAFKA_PORT);
  assert.deepEqual(
    info.brokers.map((b) => `${b.host}:${b.port}`),
    [KAFKA_BOOTSTRAP],
  );
});

test('ensureOpenSearch serves a real OpenSearch 2.19 node', async () => {
  const os = await ensureOpenSearch();
  assert.equal(os.url, OPENSEARCH_URL);
  const root = (await (await fetch(OPENSEARCH_URL)).json()) as { version: { distribution: string; number: string } };
  assert.equal(root.version.distribution, 'opensearch');
  assert.match(root.version.number, /^2\.19\./);
});

test('an extra named Zipkin with its own index prefix collects spans from a Kafka topic', async (t) => {
  const topic = 'tracefold-infra-test';
  // 9412-9414 are taken by the ingest tests' own extra Zipkins.
  const opts = { name: 'zipkin-infra-test', port: ZIPKIN_PORT + 8, esIndex: 'tfinfratest', kafkaTopic: topic };
  const zipkin = await startZipkin(opts);
  t.after(() => zipkin.stop());
  assert.equal(zipkin.url, `http://${HOST}:${opts.port}`);
  assert.equal((await startZipkin(opts)).outcome, 'reused');

  const traceId = hex(16);
  const service = `infra-svc-${Date.now().toString(36)}`;
  const span = {
    traceId,
    id: hex(8),
    name: 'get /ping',
    kind: 'SERVER',
    timestamp: Date.now() * 1000,
    duration: 1500,
    localEndpoint: { serviceName: service },
  };
  await produce(topic, Buffer.from(JSON.stringify([span])));

  await poll(`${service} in /api/v2/services`, 60_000, async () => {
    // Right after the first span, the new index may still be allocating its shard: Zipkin answers 500 then.
    const res = await fetch(`${zipkin.url}/api/v2/services`);
    if (!res.ok) return undefined;
    const services = (await res.json()) as string[];
    return services.includes(service) ? services : undefined;
  });
  const trace = (await zipkinGet<{ id: string }[]>(zipkin.url, `/api/v2/trace/${traceId}`)) ?? [];
  assert.deepEqual(
    trace.map((s) => s.id),
    [span.id],
  );
  assert.match(readFileSync(logFile(opts.name), 'utf8'), new RegExp(`Subscribed to topic\\(s\\): ${topic}`));

  await zipkin.stop();
  assert.equal(await portOpen(HOST, opts.port), false, 'stop() released the port');
});

test('a start on a port held by another server fails with a one-line reason', async () => {
  await assert.rejects(
    startZipkin({ name: 'zipkin-port-clash', port: KAFKA_PORT, esIndex: 'tfclash' }),
    (err: unknown) => err instanceof InfraError && /already in use/.test(err.message) && !err.message.includes('\n'),
  );
});
