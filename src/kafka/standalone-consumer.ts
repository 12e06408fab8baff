/**
 * A consumer that assigns partitions itself and never commits: the replay planner's (watermarks,
 * offsets for times, committed offsets) and stage 2's decision-log reader. Connected with refused
 * credentials reported as such, like every other client (connection.ts).
 */
import Kafka from 'node-rdkafka';
import { TracefoldError } from '../../core/errors.js';
import { connectClient, type KafkaTarget, toConnection } from './connection.js';

/** A node-rdkafka callback call as a promise; its error says `what` failed when given. */
export function kafkaCall<T>(fn: (cb: (err: Kafka.LibrdKafkaError | null | undefined, v: T) => void) => void, what?: string): Promise<T> {
  return new Promise((resolve, reject) =>
    fn((err, v) =>
      err ? reject(new TracefoldError('TF_KAFKA_CONSUME', what === undefined ? err.message : `${what}: ${err.message}`)) : resolve(v),
    ),
  );
}

/**
 * Connects a consumer under `groupId` (librdkafka requires one; nothing is committed under it).
 * `topicConfig` is the consumer's default topic configuration (e.g. `auto.offset.reset`).
 */
export async function connectStandaloneConsumer(
  target: KafkaTarget,
  groupId: string,
  timeoutMs: number,
  topicConfig: Kafka.ConsumerTopicConfig = {},
): Promise<Kafka.KafkaConsumer> {
  const { bootstrapServers, properties } = toConnection(target);
  const consumer = new Kafka.KafkaConsumer(
    { ...properties, 'metadata.broker.list': bootstrapServers, 'group.id': groupId, 'enable.auto.commit': false },
    topicConfig,
  );
  await connectClient(consumer, bootstrapServers, timeoutMs);
  return consumer;
}
