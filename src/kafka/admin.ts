/** Topic administration through node-rdkafka's AdminClient (no Kafka CLI tools needed). */
import Kafka from 'node-rdkafka';
import { TracefoldError } from '../../core/errors.js';

export interface TopicSpec {
  topic: string;
  partitions: number;
  replicationFactor?: number;
}

const TOPIC_ALREADY_EXISTS = 36;

export async function ensureTopics(
  bootstrapServers: string,
  topics: readonly TopicSpec[],
  timeoutMs = 15_000,
  /** Client properties (security.protocol, sasl.*): a secured cluster needs them for admin requests too. */
  extra: Readonly<Record<string, string>> = {},
): Promise<void> {
  const admin = Kafka.AdminClient.create({ 'client.id': 'tracefold-admin', ...extra, 'metadata.broker.list': bootstrapServers });
  try {
    for (const t of topics) {
      await new Promise<void>((resolve, reject) => {
        admin.createTopic(
          { topic: t.topic, num_partitions: t.partitions, replication_factor: t.replicationFactor ?? 1 },
          timeoutMs,
          (err) => {
            if (!err || err.code === TOPIC_ALREADY_EXISTS) resolve();
            else reject(new TracefoldError('TF_KAFKA_ADMIN', `cannot create topic ${t.topic}: ${err.message}`, { topic: t.topic }));
          },
        );
      });
    }
  } finally {
    admin.disconnect();
  }
}

export async function deleteTopic(bootstrapServers: string, topic: string, timeoutMs = 15_000): Promise<void> {
  const admin = Kafka.AdminClient.create({ 'client.id': 'tracefold-admin', 'metadata.broker.list': bootstrapServers });
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
