/**
 * How tracefold reaches Kafka: the bootstrap servers plus the librdkafka properties every client
 * needs to be let in (TLS, SASL, socket settings). One value passed to every client tracefold opens
 * (consumer, dead-letter producer, admin, replay planner, `produce`), so a secured cluster is
 * reachable by all of them or by none.
 */

export interface KafkaConnection {
  readonly bootstrapServers: string;
  /** librdkafka properties valid for any client type (see `clientProperties`). */
  readonly properties: Readonly<Record<string, string>>;
}

/** Either a full connection or, for tests and tools on a plain local broker, bootstrap servers alone. */
export type KafkaTarget = string | KafkaConnection;

export function toConnection(target: KafkaTarget): KafkaConnection {
  return typeof target === 'string' ? { bootstrapServers: target, properties: {} } : target;
}

/**
 * Properties that concern the connection itself rather than consuming: these go to producers and
 * admin clients too. Consumer tuning (fetch.*, session.timeout.ms, …) stays with the consumer, where
 * librdkafka would otherwise warn that a producer ignores it.
 */
const CONNECTION_PROPERTY =
  /^(security\.protocol$|ssl\.|ssl_|sasl\.|enable\.ssl\.|enable\.sasl\.|socket\.|broker\.address\.|client\.dns\.|client\.rack$|api\.version\.|broker\.version\.fallback$|reconnect\.backoff|connections\.max\.idle\.ms$)/;

export function isConnectionProperty(key: string): boolean {
  return CONNECTION_PROPERTY.test(key);
}

/** The connection subset of the configured librdkafka pass-through. */
export function clientProperties(librdkafka: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(librdkafka)) if (isConnectionProperty(k)) out[k] = v;
  return out;
}

export function kafkaConnection(bootstrapServers: string, librdkafka: Readonly<Record<string, string>>): KafkaConnection {
  return { bootstrapServers, properties: clientProperties(librdkafka) };
}
