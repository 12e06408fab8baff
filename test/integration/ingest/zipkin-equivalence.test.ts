/**
 * The compatibility oracle: the same Kafka records (every shared trace, in all four encodings,
 * one span per message and many per message, over 6 partitions) are ingested by tracefold (2
 * workers) and by the stock Zipkin server's own Kafka collector into separate index prefixes of
 * one search engine (OpenSearch, or Elasticsearch with TRACEFOLD_SEARCH=elasticsearch). Zipkin's
 * API must return identical answers from both.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ENCODERS } from '../../../core/codec/formats.js';
import type { ZipkinEncoding } from '../../../core/model/span.js';
import { type ServerHandle, startZipkin } from '../../../infra/index.js';
import { shiftToNow } from '../../../src/cli/produce.js';
import { deleteTopic, ensureTopics } from '../../../src/kafka/admin.js';
import { KafkaProducer } from '../../../src/kafka/producer.js';
import { deleteIndices } from '../../helpers/search.js';
import { KAFKA, requireSearchEngine, SEARCH, SEARCH_LABEL, uniqueName, zipkinPort } from '../../helpers/servers.js';
import { type Running, startTracefold, waitFor } from '../../helpers/tracefold.js';
import { sharedTraces } from '../../helpers/traffic.js';
import { zipkinGet } from '../../helpers/zipkin-api.js';

const FORMATS: ZipkinEncoding[] = ['json-v2', 'proto3', 'thrift', 'json-v1'];
// The shared traces are from 2016-2019, and Zipkin's name lookups only look back QUERY_LOOKBACK
// (an int of ms, at most ~24 days): move each trace to the last hour, the same bytes for both sides.
const LOOKBACK_MS = 2 * 3600 * 1000;

const topic = uniqueName('tf-equiv');
const tfIndex = uniqueName('tfeq');
const zkIndex = uniqueName('zkeq');
let zipkinCollector: ServerHandle;
let zipkinReader: ServerHandle;
let tracefold: Running;
const traces = sharedTraces();
for (const t of traces) shiftToNow(t.spans, (Date.now() - 30 * 60 * 1000) * 1000);
const traceIds = [...new Set(traces.flatMap((t) => t.spans.map((s) => s.traceId)))];

type Json = Record<string, unknown>;
const get = (base: string, path: string): Promise<unknown> => zipkinGet<unknown>(base, path);
const canonical = (spans: unknown): string[] => ((spans as Json[] | null) ?? []).map((s) => JSON.stringify(s)).sort();

before(async () => {
  await requireSearchEngine();
  await ensureTopics(KAFKA, [{ topic, partitions: 6 }]);
  [zipkinCollector, zipkinReader] = await Promise.all([
    startZipkin({
      name: 'zipkin-equiv-collector',
      port: zipkinPort(1),
      esHosts: SEARCH,
      esIndex: zkIndex,
      kafkaTopic: topic,
      kafkaGroupId: uniqueName('zk'),
    }),
    startZipkin({ name: 'zipkin-equiv-reader', port: zipkinPort(2), esHosts: SEARCH, esIndex: tfIndex }),
  ]);
  const producer = await KafkaProducer.connect(KAFKA);
  try {
    const sends: Promise<number>[] = [];
    traces.forEach((t, i) => {
      const encode = ENCODERS[FORMATS[i % FORMATS.length] as ZipkinEncoding];
      // Alternate one span per message and the whole trace in one message.
      const step = i % 2 === 0 ? 1 : t.spans.length;
      for (let j = 0; j < t.spans.length; j += step)
        sends.push(producer.send({ topic, value: Buffer.from(encode(t.spans.slice(j, j + step))) }));
    });
    await Promise.all(sends);
  } finally {
    await producer.close();
  }
  tracefold = startTracefold(
    ['ingest', '--workers', '2', '--admin-port', '0', '--window-quiet-ms', '500ms'],
    {
      KAFKA_BOOTSTRAP_SERVERS: KAFKA,
      KAFKA_TOPIC: topic,
      KAFKA_GROUP_ID: uniqueName('tf'),
      ES_HOSTS: SEARCH,
      ES_INDEX: tfIndex,
      ES_INDEX_SHARDS: '1',
      ES_INDEX_REPLICAS: '0',
    },
    tfIndex,
  );
  // Both sides are done when every trace has the same, non-zero span count twice in a row.
  let previous = '';
  await waitFor(
    'tracefold and Zipkin to store every trace',
    async () => {
      const counts: string[] = [];
      for (const id of traceIds) {
        const [a, b] = await Promise.all([get(zipkinReader.url, `/api/v2/trace/${id}`), get(zipkinCollector.url, `/api/v2/trace/${id}`)]);
        const na = (a as unknown[] | null)?.length ?? 0;
        const nb = (b as unknown[] | null)?.length ?? 0;
        if (na === 0 || na !== nb) return false;
        counts.push(`${id}:${na}`);
      }
      const now = counts.join(',');
      const stable = now === previous;
      previous = now;
      return stable;
    },
    180_000,
    2000,
  );
});

after(async () => {
  tracefold?.child.kill('SIGTERM');
  if (tracefold) assert.equal(await tracefold.exited, 0, `tracefold exits cleanly (log: ${tracefold.logFile})`);
  await Promise.all([zipkinCollector?.stop(), zipkinReader?.stop()]);
  await deleteIndices(`${tfIndex}-*`);
  await deleteIndices(`${zkIndex}-*`);
  await deleteTopic(KAFKA, topic).catch(() => undefined);
});

// The engine is in the title: this file runs once per engine in scripts/test.sh.
describe(`Zipkin reads tracefold's documents exactly as its own, on ${SEARCH_LABEL}`, () => {
  test('every trace reads back identically through /api/v2/trace/{id}', async () => {
    for (const id of traceIds) {
      const ours = await get(zipkinReader.url, `/api/v2/trace/${id}`);
      const theirs = await get(zipkinCollector.url, `/api/v2/trace/${id}`);
      assert.deepEqual(canonical(ours), canonical(theirs), `trace ${id}`);
    }
  });

  test('/api/v2/services, /remoteServices and /spans agree', async () => {
    const ours = (await get(zipkinReader.url, '/api/v2/services')) as string[];
    const theirs = (await get(zipkinCollector.url, '/api/v2/services')) as string[];
    assert.ok(ours.length > 5, `services found: ${ours.join(', ')}`);
    assert.deepEqual(ours, theirs);
    for (const svc of ours) {
      const q = `?serviceName=${encodeURIComponent(svc)}`;
      assert.deepEqual(
        await get(zipkinReader.url, `/api/v2/spans${q}`),
        await get(zipkinCollector.url, `/api/v2/spans${q}`),
        `span names of ${svc}`,
      );
      assert.deepEqual(
        await get(zipkinReader.url, `/api/v2/remoteServices${q}`),
        await get(zipkinCollector.url, `/api/v2/remoteServices${q}`),
        `remote services of ${svc}`,
      );
    }
  });

  test('/api/v2/traces searches (service, span name, annotationQuery, duration) agree', async () => {
    const endTs = Date.now();
    const services = (await get(zipkinReader.url, '/api/v2/services')) as string[];
    const queries: string[] = [];
    for (const svc of services) {
      queries.push(`serviceName=${encodeURIComponent(svc)}`);
      queries.push(`serviceName=${encodeURIComponent(svc)}&minDuration=1000`);
    }
    // annotationQuery by tag key and key=value, and by annotation value, taken from the data.
    const tagged = traces.flatMap((t) => t.spans).filter((s) => s.tags && Object.keys(s.tags).length > 0 && s.timestamp);
    for (const s of tagged.slice(0, 10)) {
      const [k, v] = Object.entries(s.tags ?? {})[0] as [string, string];
      queries.push(`annotationQuery=${encodeURIComponent(k)}`);
      if (k.length + v.length < 200) queries.push(`annotationQuery=${encodeURIComponent(`${k}=${v}`)}`);
    }
    const annotated = traces.flatMap((t) => t.spans).find((s) => s.annotations && s.annotations.length > 0 && s.timestamp);
    if (annotated?.annotations?.[0]) queries.push(`annotationQuery=${encodeURIComponent(annotated.annotations[0].value)}`);
    let nonEmpty = 0;
    for (const q of queries) {
      const path = `/api/v2/traces?${q}&endTs=${endTs}&lookback=${LOOKBACK_MS}&limit=1000`;
      const ours = ((await get(zipkinReader.url, path)) as unknown[][]).map(canonical).sort();
      const theirs = ((await get(zipkinCollector.url, path)) as unknown[][]).map(canonical).sort();
      assert.deepEqual(ours, theirs, path);
      if (ours.length > 0) nonEmpty++;
    }
    assert.ok(nonEmpty >= services.length, `most searches found traces (${nonEmpty} of ${queries.length})`);
  });
});
