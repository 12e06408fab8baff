import { readFile } from 'node:fs/promises';
import { decodeJsonV2 } from '../../core/codec/decode/json-v2.js';
import { ENCODERS } from '../../core/codec/formats.js';
import type { Span } from '../../core/model/span.js';
import { ensureTopics } from '../kafka/admin.js';
import { kafkaConnection } from '../kafka/connection.js';
import { KafkaProducer } from '../kafka/producer.js';
import { loadCli, runCli } from './io.js';
import type { Command } from './main.js';

async function readSpans(path: string): Promise<Span[]> {
  let bytes = await readFile(path);
  // The shared single-span fixtures are bare objects; a message is always a list.
  const first = bytes.find((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09);
  if (first === 0x7b) bytes = Buffer.concat([Buffer.from('['), bytes, Buffer.from(']')]);
  const result = decodeJsonV2(bytes);
  if (result.errors.length > 0) {
    const e = result.errors[0];
    throw new Error(`${path}: ${result.errors.length} bad span(s), first: ${e?.code}: ${e?.reason}`);
  }
  return result.spans;
}

/** `K=V` pairs from the environment (comma-separated) then the flags; a malformed pair is an error. */
export function parseProperties(env: string | undefined, flags: readonly string[], errors: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const pairs = [...(env ? env.split(',').filter((p) => p.trim() !== '') : []), ...flags];
  for (const [i, pair] of pairs.entries()) {
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      // The entry itself is not echoed: it may be a secret typed without its key.
      errors.push(`Kafka property ${i + 1} is not KEY=VALUE`);
      continue;
    }
    out[pair.slice(0, eq).trim()] = pair.slice(eq + 1);
  }
  return out;
}

/** Moves a trace in time so its earliest timestamp is `nowMicros`; durations are unchanged. */
export function shiftToNow(spans: Span[], nowMicros: number): void {
  let min = Number.POSITIVE_INFINITY;
  for (const s of spans) {
    if (s.timestamp !== undefined && s.timestamp < min) min = s.timestamp;
    for (const a of s.annotations ?? []) if (a.timestamp < min) min = a.timestamp;
  }
  if (!Number.isFinite(min)) return;
  const delta = nowMicros - min;
  for (const s of spans) {
    if (s.timestamp !== undefined) s.timestamp += delta;
    if (s.annotations) s.annotations = s.annotations.map((a) => ({ timestamp: a.timestamp + delta, value: a.value }));
  }
}

export const command: Command = {
  summary: 'publish trace files to Kafka',
  run: (argv) =>
    runCli(async () => {
      const loaded = loadCli('produce', argv);
      if ('exit' in loaded) return loaded.exit;
      const { kafka, produce: p } = loaded.config;
      const topic = kafka.topic[0] as string;
      const encode = ENCODERS[p.format];
      const files = await Promise.all(loaded.args.map(readSpans));
      if (p.shiftToNow) for (const f of files) shiftToNow(f, Date.now() * 1000);
      // The same connection settings as ingest (security.protocol, sasl.*, ssl.*): a secured cluster needs them here too.
      const conn = kafkaConnection(kafka.bootstrapServers, kafka.librdkafka);
      // The producer first: refused credentials fail it at once with a clear error (admin calls only time out).
      const producer = await KafkaProducer.connect(conn, { 'client.id': kafka.clientId });
      if (p.partitions > 0)
        await ensureTopics(conn, [{ topic, partitions: p.partitions }]).catch(async (err: unknown) => {
          await producer.close();
          throw err;
        });
      const headers = p.headers.length === 0 ? undefined : Object.fromEntries(p.headers.map((h) => [h.name, h.value]));
      let messages = 0;
      let spans = 0;
      try {
        const sends: Promise<number>[] = [];
        for (const fileSpans of files) {
          const step = p.spansPerMessage > 0 ? p.spansPerMessage : Math.max(1, fileSpans.length);
          for (let i = 0; i < fileSpans.length; i += step) {
            const chunk = fileSpans.slice(i, i + step);
            sends.push(producer.send({ topic, value: Buffer.from(encode(chunk)), ...(headers === undefined ? {} : { headers }) }));
            messages++;
            spans += chunk.length;
          }
        }
        await Promise.all(sends);
      } finally {
        await producer.close();
      }
      loaded.log.info(
        { spans, messages, format: p.format, topic },
        `produced ${spans} spans in ${messages} messages (${p.format}) → ${topic}`,
      );
      return 0;
    }),
};
