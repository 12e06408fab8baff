/** Topic administration through node-rdkafka's AdminClient (no Kafka CLI tools needed). */
import Kafka from 'node-rdkafka';
import { TracefoldError } from '../../core/errors.js';
import { type KafkaTarget, toConnection, UNREACHABLE_HINT } from './connection.js';

export interface TopicSpec {
  topic: string;
  partitions: number;
  replicationFactor?: number;
  /** Topic-level settings for a topic this creates (an existing topic keeps its own). */
  config?: Record<string, string>;
}

const TOPIC_ALREADY_EXISTS = 36;
const TIMED_OUT = -185; // ERR__TIMED_OUT

function createAdmin(target: KafkaTarget): Kafka.IAdminClient {
  const { bootstrapServers, properties } = toConnection(target);
  return Kafka.AdminClient.create({ ...properties, 'client.id': 'tracefold-admin', 'metadata.broker.list': bootstrapServers });
}

export async function ensureTopics(target: KafkaTarget, topics: readonly TopicSpec[], timeoutMs = 15_000): Promise<void> {
  const admin = createAdmin(target);
  try {
    for (const t of topics) {
      await new Promise<void>((resolve, reject) => {
        admin.createTopic(
          {
            topic: t.topic,
            num_partitions: t.partitions,
            replication_factor: t.replicationFactor ?? 1,
            ...(t.config ? { config: t.config as Kafka.NewTopic['config'] } : {}),
          },
          timeoutMs,
          (err) => {
            if (!err || err.code === TOPIC_ALREADY_EXISTS) resolve();
            else
              reject(
                new TracefoldError(
                  'TF_KAFKA_ADMIN',
                  `cannot create topic ${t.topic}: ${err.message}${err.code === TIMED_OUT ? ` (${UNREACHABLE_HINT})` : ''}`,
                  { topic: t.topic },
                ),
              );
          },
        );
      });
    }
  } finally {
    admin.disconnect();
  }
}

/** Grows `topic` to at least `partitions` partitions (a topic never shrinks). */
export async function growPartitions(target: KafkaTarget, topic: string, partitions: number, timeoutMs = 15_000): Promise<void> {
  const admin = createAdmin(target);
  try {
    await new Promise<void>((resolve, reject) => {
      admin.createPartitions(topic, partitions, timeoutMs, (err) => {
        if (!err) resolve();
        else
          reject(new TracefoldError('TF_KAFKA_ADMIN', `cannot grow topic ${topic} to ${partitions} partitions: ${err.message}`, { topic }));
      });
    });
  } finally {
    admin.disconnect();
  }
}

export async function deleteTopic(target: KafkaTarget, topic: string, timeoutMs = 15_000): Promise<void> {
  const admin = createAdmin(target);
  try {
    await new Promise<void>((resolve, reject) => {
      admin.deleteTopic(topic, timeoutMs, (err) => {
        if (!err || err.code === 3 /* UNKNOWN_TOPIC_OR_PART */) resolve();
        else reject(new TracefoldError('TF_KAFKA_ADMIN', `cannot delete topic ${topic}: ${err.message}`, { topic }));
      });
    });
  } finally {
    admin.disconnect();
  }
}
