/**
 * Turns `--from/--to/--partitions` into fixed per-partition offset ranges, resolved once at start
 * (times through Kafka's offsets-for-times, `latest` as the high watermark then), so a replay
 * terminates even while producers keep writing.
 */
import type Kafka from 'node-rdkafka';
import { TracefoldError } from '../../core/errors.js';
import type { Position } from '../config/parse.js';
import { connectStandaloneConsumer, kafkaCall } from '../kafka/standalone-consumer.js';

export interface PartitionRange {
  topic: string;
  partition: number;
  /** First offset to replay. */
  start: number;
  /** First offset NOT replayed (exclusive end). */
  end: number;
}

export interface PlanInput {
  bootstrapServers: string;
  /** Connection properties (TLS, SASL) the other clients use too. */
  properties?: Readonly<Record<string, string>>;
  topic: string;
  partitions: readonly number[];
  from: Position<'earliest'>;
  to: Position<'latest'>;
  group: string;
  /** When resuming a committed replay, start at the group's committed offsets inside the range. */
  resume: boolean;
  /** Client properties the source uses too (client.id, security.protocol, sasl.*): a secured cluster needs them. */
  client?: Readonly<Record<string, string>>;
}

export async function planReplay(input: PlanInput, timeoutMs = 10_000): Promise<PartitionRange[]> {
  const consumer = await connectStandaloneConsumer(
    { bootstrapServers: input.bootstrapServers, properties: { ...input.client, ...input.properties } },
    input.group,
    timeoutMs,
  );
  try {
    const meta = await kafkaCall<Kafka.Metadata>((cb) => consumer.getMetadata({ topic: input.topic, timeout: timeoutMs }, cb));
    const topicMeta = meta.topics.find((t) => t.name === input.topic);
    if (!topicMeta || topicMeta.partitions.length === 0)
      throw new TracefoldError('TF_USAGE', `topic ${input.topic} does not exist`, { topic: input.topic });
    const all = topicMeta.partitions.map((p) => p.id).sort((a, b) => a - b);
    const unknown = input.partitions.filter((p) => !all.includes(p));
    if (unknown.length > 0)
      throw new TracefoldError('TF_USAGE', `topic ${input.topic} has no partition ${unknown.join(', ')} (it has 0-${all.length - 1})`);
    const chosen = input.partitions.length > 0 ? [...input.partitions].sort((a, b) => a - b) : all;

    const marks = new Map<number, Kafka.WatermarkOffsets>();
    for (const p of chosen)
      marks.set(p, await kafkaCall<Kafka.WatermarkOffsets>((cb) => consumer.queryWatermarkOffsets(input.topic, p, timeoutMs, cb)));
    const forTime = async (ms: number): Promise<Map<number, number>> => {
      const tps = chosen.map((partition) => ({ topic: input.topic, partition, offset: ms }));
      const res = await kafkaCall<Kafka.TopicPartitionOffset[]>((cb) => consumer.offsetsForTimes(tps, timeoutMs, cb));
      // -1: no record at or after that time, i.e. the end of the partition.
      return new Map(res.map((r) => [r.partition, r.offset < 0 ? (marks.get(r.partition)?.highOffset ?? 0) : r.offset]));
    };
    const fromTimes = input.from.kind === 'time' ? await forTime(input.from.timestampMs) : undefined;
    // `--to` is inclusive: a time T ends before the first record after T.
    const toTimes = input.to.kind === 'time' ? await forTime(input.to.timestampMs + 1) : undefined;
    const committed = input.resume
      ? new Map(
          (
            await kafkaCall<Kafka.TopicPartitionOffset[]>((cb) =>
              consumer.committed(
                chosen.map((partition) => ({ topic: input.topic, partition })),
                timeoutMs,
                cb,
              ),
            )
          ).map((c) => [c.partition, c.offset]),
        )
      : undefined;

    return chosen.map((partition) => {
      const m = marks.get(partition) as Kafka.WatermarkOffsets;
      const clamp = (o: number): number => Math.min(Math.max(o, m.lowOffset), m.highOffset);
      let start =
        input.from.kind === 'earliest'
          ? m.lowOffset
          : input.from.kind === 'offset'
            ? clamp(input.from.offset)
            : clamp(fromTimes?.get(partition) ?? m.highOffset);
      const end =
        input.to.kind === 'latest'
          ? m.highOffset
          : input.to.kind === 'offset'
            ? clamp(input.to.offset + 1)
            : clamp(toTimes?.get(partition) ?? m.highOffset);
      const resumeAt = committed?.get(partition);
      if (resumeAt !== undefined && resumeAt > start) start = Math.min(resumeAt, end);
      return { topic: input.topic, partition, start, end: Math.max(start, end) };
    });
  } finally {
    await new Promise<void>((r) => consumer.disconnect(() => r()));
  }
}
