import { readFile } from 'node:fs/promises';
import { decodeJsonV2 } from '../../core/codec/decode/json-v2.js';
import { ENCODERS, isEncoding } from '../../core/codec/formats.js';
import type { Span } from '../../core/model/span.js';
import { ensureTopics } from '../kafka/admin.js';
import { kafkaConnection } from '../kafka/connection.js';
import { KafkaProducer } from '../kafka/producer.js';
import { parseCommandArgs, runCli } from './io.js';
import type { Command } from './main.js';

const HELP = `Usage: tracefold produce --topic T --format F [options] FILE...

Publishes the traces in FILE... (Zipkin JSON v2: an array of spans, or one span object) to a
Kafka topic, encoded as F, with no record key (like real reporters, so one trace's spans spread
over partitions). For tests and demos.

Options:
  -t, --topic T               topic to write to (required)
  -f, --format F              json-v2 | json-v1 | thrift | proto3 (default json-v2)
  -n, --spans-per-message N   spans per Kafka message (default: one message per file)
  -b, --bootstrap-servers B   Kafka bootstrap servers (default $KAFKA_BOOTSTRAP_SERVERS or 127.0.0.1:9092)
  -X, --kafka-property K=V    a librdkafka connection property (security.protocol, ssl.*, sasl.*),
                              repeatable; also read from $TRACEFOLD_KAFKA_LIBRDKAFKA (K=V,K=V)
      --partitions N          create the topic with N partitions if it does not exist
      --shift-to-now          move each trace's timestamps so it starts now (the Zipkin UI
                              searches the last day by default)
  -h, --help                  show this help
`;

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
      const { values, positionals } = parseCommandArgs(
        argv,
        {
          topic: { type: 'string', short: 't' },
          format: { type: 'string', short: 'f', default: 'json-v2' },
          'spans-per-message': { type: 'string', short: 'n' },
          'bootstrap-servers': { type: 'string', short: 'b' },
          'kafka-property': { type: 'string', short: 'X', multiple: true },
          partitions: { type: 'string' },
          'shift-to-now': { type: 'boolean' },
          help: { type: 'boolean', short: 'h' },
        },
        'produce',
      );
      if (values.help) {
        process.stdout.write(HELP);
        return 0;
      }
      const errors: string[] = [];
      if (!values.topic) errors.push('--topic is required');
      if (!isEncoding(values.format)) errors.push(`--format must be one of ${Object.keys(ENCODERS).join(', ')}`);
      const perMessage = values['spans-per-message'] === undefined ? 0 : Number(values['spans-per-message']);
      if (!Number.isInteger(perMessage) || perMessage < 0) errors.push('--spans-per-message must be a positive integer');
      const partitions = values.partitions === undefined ? 0 : Number(values.partitions);
      if (!Number.isInteger(partitions) || partitions < 0) errors.push('--partitions must be a positive integer');
      if (positionals.length === 0) errors.push('at least one FILE is required');
      const properties = parseProperties(process.env.TRACEFOLD_KAFKA_LIBRDKAFKA, values['kafka-property'] ?? [], errors);
      if (errors.length > 0) {
        for (const e of errors) process.stderr.write(`tracefold produce: ${e}\n`);
        return 2;
      }
      const topic = values.topic as string;
      const encode = ENCODERS[values.format as keyof typeof ENCODERS];
      const files = await Promise.all(positionals.map(readSpans));
      if (values['shift-to-now']) for (const f of files) shiftToNow(f, Date.now() * 1000);
      const bootstrap = values['bootstrap-servers'] ?? process.env.KAFKA_BOOTSTRAP_SERVERS ?? '127.0.0.1:9092';
      const kafka = kafkaConnection(bootstrap, properties);
      // The producer first: refused credentials fail it at once with a clear error (admin calls only time out).
      const producer = await KafkaProducer.connect(kafka);
      if (partitions > 0)
        await ensureTopics(kafka, [{ topic, partitions }]).catch(async (err: unknown) => {
          await producer.close();
          throw err;
        });
      let messages = 0;
      let spans = 0;
      try {
        const sends: Promise<number>[] = [];
        for (const fileSpans of files) {
          const step = perMessage > 0 ? perMessage : Math.max(1, fileSpans.length);
          for (let i = 0; i < fileSpans.length; i += step) {
            const chunk = fileSpans.slice(i, i + step);
            sends.push(producer.send({ topic, value: Buffer.from(encode(chunk)) }));
            messages++;
            spans += chunk.length;
          }
        }
        await Promise.all(sends);
      } finally {
        await producer.close();
      }
      process.stderr.write(`tracefold produce: ${spans} spans in ${messages} messages (${values.format}) → ${topic}\n`);
      return 0;
    }),
};
