/**
 * The codec oracle: each shared trace is produced to Kafka in each encoding (fresh IDs per
 * encoding, so the copies do not merge), the stock Zipkin server's Kafka collector stores it, and
 * what Zipkin returns for the trace must equal, field by field, tracefold's decode of the same bytes.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { decodeMessage } from '../../../core/codec/decode/index.js';
import { encodeJsonV2 } from '../../../core/codec/encode/json-v2.js';
import { ENCODERS } from '../../../core/codec/formats.js';
import type { Span, ZipkinEncoding } from '../../../core/model/span.js';
import { type ServerHandle, startZipkin } from '../../../infra/index.js';
import { deleteTopic, ensureTopics } from '../../../src/kafka/admin.js';
import { KafkaProducer } from '../../../src/kafka/producer.js';
import { createPrng } from '../../helpers/prng.js';
import { deleteIndices } from '../../helpers/search.js';
import { KAFKA, requireSearchEngine, uniqueName, zipkinPort } from '../../helpers/servers.js';
import { waitFor } from '../../helpers/tracefold.js';
import { copyTrace, sharedTraces } from '../../helpers/traffic.js';
import { zipkinGet } from '../../helpers/zipkin-api.js';

const FORMATS: ZipkinEncoding[] = ['json-v2', 'json-v1', 'thrift', 'proto3'];
const topic = uniqueName('tf-oracle');
const index = uniqueName('zkoracle');
let zipkin: ServerHandle;

interface Case {
  name: string;
  format: ZipkinEncoding;
  traceId: string;
  decoded: Span[];
}
const cases: Case[] = [];

async function zipkinTrace(id: string): Promise<unknown[]> {
  return (await zipkinGet<unknown[]>(zipkin.url, `/api/v2/trace/${id}`)) ?? [];
}

/** Zipkin's JSON of a span list, one string per span, in a stable order. */
const canonical = (spans: unknown[]): string[] => spans.map((s) => JSON.stringify(s)).sort();

before(async () => {
  await requireSearchEngine();
  await ensureTopics(KAFKA, [{ topic, partitions: 3 }]);
  zipkin = await startZipkin({
    name: 'zipkin-oracle',
    port: zipkinPort(3),
    esIndex: index,
    kafkaTopic: topic,
    kafkaGroupId: uniqueName('zk'),
  });
  const prng = createPrng(11);
  const producer = await KafkaProducer.connect(KAFKA);
  try {
    const sends: Promise<number>[] = [];
    for (const t of sharedTraces()) {
      for (const format of FORMATS) {
        const spans = copyTrace(t.spans, prng);
        const bytes = ENCODERS[format](spans);
        const decoded = decodeMessage(bytes);
        assert.deepEqual(decoded.errors, [], `${t.name} as ${format} decodes cleanly`);
        cases.push({ name: t.name, format, traceId: spans[0]?.traceId as string, decoded: decoded.spans });
        sends.push(producer.send({ topic, value: Buffer.from(bytes) }));
      }
    }
    await Promise.all(sends);
  } finally {
    await producer.close();
  }
  await waitFor(
    'Zipkin to store every trace',
    async () => {
      for (const c of cases) if ((await zipkinTrace(c.traceId)).length < c.decoded.length) return false;
      return true;
    },
    180_000,
    2000,
  );
});

after(async () => {
  await zipkin?.stop();
  await deleteIndices(`${index}-*`);
  await deleteTopic(KAFKA, topic).catch(() => undefined);
});

for (const format of FORMATS) {
  test(`${format}: tracefold's decode equals what Zipkin stored, for every shared trace`, async () => {
    const mine = cases.filter((c) => c.format === format);
    assert.ok(mine.length >= 9, 'every shared trace is covered');
    for (const c of mine) {
      const ours = canonical(JSON.parse(Buffer.from(encodeJsonV2(c.decoded)).toString('utf8')) as unknown[]);
      const theirs = canonical(await zipkinTrace(c.traceId));
      assert.deepEqual(ours, theirs, `${c.name} as ${format}`);
    }
  });
}
