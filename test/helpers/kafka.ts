/** Kafka reads for assertions, through a plain node-rdkafka consumer (independent of the code under test). */
import Kafka from 'node-rdkafka';
import { KAFKA } from './servers.js';

/** Sum over the topic's partitions of the group's committed offsets (what a restart would skip). */
export async function committedTotal(group: string, topic: string, partitions: number): Promise<number> {
  const consumer = new Kafka.KafkaConsumer({ 'metadata.broker.list': KAFKA, 'group.id': group, 'enable.auto.commit': false }, {});
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())));
  try {
    const parts = Array.from({ length: partitions }, (_, partition) => ({ topic, partition }));
    const committed = await new Promise<Kafka.TopicPartitionOffset[]>((resolve, reject) =>
      consumer.committed(parts, 10_000, (err, tps) => (err ? reject(err) : resolve(tps))),
    );
    return committed.reduce((sum, tp) => sum + Math.max(0, tp.offset), 0);
  } finally {
    await new Promise<void>((r) => consumer.disconnect(() => r()));
  }
}
