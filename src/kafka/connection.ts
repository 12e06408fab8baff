/**
 * How tracefold reaches Kafka: the bootstrap servers plus the librdkafka properties every client
 * needs to be let in (TLS, SASL, socket settings). One value passed to every client tracefold opens
 * (consumer, dead-letter producer, admin, replay planner, `produce`), so a secured cluster is
 * reachable by all of them or by none.
 */

import { TracefoldError } from '../../core/errors.js';

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

/**
 * librdkafka reports refused credentials (SASL) and failed TLS handshakes only as log lines while
 * connect() keeps retrying until it times out with "broker transport failure"; these lines turn
 * that into a clear error at once. Their text names the mechanism, never the password.
 */
const AUTH_FAILURE_LOG =
  /SASL authentication error|SASL authentication failed|Authentication failed|SSL handshake failed|certificate verify failed/i;

interface LogEmitter {
  on(event: 'event.log', listener: (e: { message: string }) => void): unknown;
  removeListener(event: 'event.log', listener: (e: { message: string }) => void): unknown;
}

/** Calls `onFailure` with the first log line that reports refused credentials; returns the unsubscribe. */
function watchAuthFailure(client: LogEmitter, onFailure: (message: string) => void): () => void {
  const listener = (e: { message: string }): void => {
    if (!AUTH_FAILURE_LOG.test(e.message)) return;
    client.removeListener('event.log', listener);
    onFailure(e.message.replace(/^\[thrd:[^\]]*\]:\s*/, ''));
  };
  client.on('event.log', listener);
  return () => client.removeListener('event.log', listener);
}

/**
 * The clear error for refused credentials. librdkafka otherwise only reports a connect timeout;
 * its own message names the mechanism, never the password.
 */
function authError(bootstrapServers: string, reason: string): TracefoldError {
  return new TracefoldError(
    'TF_KAFKA_AUTH',
    `Kafka at ${bootstrapServers} refused tracefold's credentials (check kafka.librdkafka security.protocol / sasl.* / ssl.*): ${reason}`,
  );
}

/** The hint added to a connect or admin timeout: the usual causes are the address and the credentials. */
export const UNREACHABLE_HINT = 'is the address right, and does the cluster need security.protocol / sasl.* / ssl.* properties?';

/** What `connectClient` needs of a node-rdkafka producer or consumer. */
interface ConnectableClient extends LogEmitter {
  connect(options: { timeout: number }, cb: (err: { message: string } | null | undefined) => void): unknown;
  disconnect(cb: () => void): unknown;
}

/**
 * Connects a producer or consumer. Refused credentials show only in the client's log while
 * connect() would just time out: they fail at once with `authError`; any other failure is
 * reported as unreachable, with the usual causes.
 */
export function connectClient(client: ConnectableClient, bootstrapServers: string, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const unwatch = watchAuthFailure(client, (reason) => {
      client.disconnect(() => undefined);
      reject(authError(bootstrapServers, reason));
    });
    client.connect({ timeout: timeoutMs }, (err) => {
      unwatch();
      if (err) {
        reject(
          new TracefoldError('TF_KAFKA_UNREACHABLE', `cannot reach Kafka at ${bootstrapServers}: ${err.message} (${UNREACHABLE_HINT})`),
        );
      } else {
        resolve();
      }
    });
  });
}

/**
 * librdkafka properties whose values are secrets (passwords, private keys, OAuth client secrets):
 * for the one redaction (`redactConfig`) to hide inside `kafka.librdkafka`, whose values are
 * otherwise plain strings.
 */
export function isSecretProperty(key: string): boolean {
  return /password|secret|^ssl\.key\.pem$|^sasl\.oauthbearer\.config$/.test(key);
}
