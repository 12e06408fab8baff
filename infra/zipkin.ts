import { join } from 'node:path';
import { ZIPKIN_ARTIFACTS } from './artifacts.js';
import { HOST, KAFKA_BOOTSTRAP, SEARCH_URL, VERSIONS, ZIPKIN_PORT } from './config.js';
import { fetchArtifacts } from './fetch.js';
import { field, getJson } from './http.js';
import type { ServerSpec } from './server.js';

export interface ZipkinOptions {
  /** Instance name (PID/log file key); `zipkin` is the default instance. */
  name?: string;
  port?: number;
  /** ES_INDEX: index prefix, so several instances can share one search engine. */
  esIndex?: string;
  /** ES_HOSTS; defaults to the local engine chosen by TRACEFOLD_SEARCH (OpenSearch unless set). */
  esHosts?: string;
  /** Enables Zipkin's Kafka collector on this topic. */
  kafkaTopic?: string;
  kafkaGroupId?: string;
  kafkaBootstrap?: string;
  /** Further Zipkin environment settings (QUERY_LOOKBACK, ES_DATE_SEPARATOR, ...). */
  env?: Record<string, string>;
  /** JVM heap (-Xms and -Xmx), e.g. '2g'. [512m] */
  heap?: string;
}

/** Only these are inherited: a stray KAFKA_* or ES_* in the caller's shell must not reconfigure Zipkin. */
const INHERITED_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'JAVA_HOME', 'USER'];

export async function zipkinHealthy(port: number): Promise<boolean> {
  const res = await getJson(`http://${HOST}:${port}/health`, 3000);
  return res?.status === 200 && field(res.body, 'status') === 'UP';
}

export function zipkinEnv(opts: ZipkinOptions): Record<string, string> {
  const env: Record<string, string> = {
    STORAGE_TYPE: 'elasticsearch',
    ES_HOSTS: opts.esHosts ?? SEARCH_URL,
    ES_INDEX: opts.esIndex ?? 'zipkin',
    ES_INDEX_SHARDS: '1',
    ES_INDEX_REPLICAS: '0',
  };
  if (opts.kafkaTopic) {
    env.KAFKA_BOOTSTRAP_SERVERS = opts.kafkaBootstrap ?? KAFKA_BOOTSTRAP;
    env.KAFKA_TOPIC = opts.kafkaTopic;
    // The default instance keeps Zipkin's own default group id, "zipkin".
    env.KAFKA_GROUP_ID = opts.kafkaGroupId ?? opts.name ?? 'zipkin';
  }
  return { ...env, ...opts.env };
}

/** The JVM flags Zipkin runs with: exported so a benchmark can record exactly what its peer ran with. */
export function zipkinJvmArgs(heap: string): string[] {
  return [`-Xms${heap}`, `-Xmx${heap}`, '-XX:+ExitOnOutOfMemoryError', '-Djava.awt.headless=true'];
}

export function zipkinSpec(opts: ZipkinOptions): ServerSpec {
  const name = opts.name ?? 'zipkin';
  const port = opts.port ?? ZIPKIN_PORT;
  const zenv = zipkinEnv(opts);
  const heap = opts.heap ?? '512m';
  return {
    name,
    kind: 'zipkin',
    host: HOST,
    port,
    ports: [port],
    url: `http://${HOST}:${port}`,
    fingerprint: JSON.stringify({ v: VERSIONS.zipkin, port, env: zenv, heap }),
    startTimeoutMs: 120_000,
    stopTimeoutMs: 20_000,
    healthy: () => zipkinHealthy(port),
    checkStartup(log) {
      if (/bind\(\.\.\) failed.*Address already in use/.test(log)) {
        return `port ${HOST}:${port} was taken by another process while Zipkin started`;
      }
      if (!/APPLICATION FAILED TO START|Application run failed/.test(log)) return undefined;
      // The innermost cause is the useful one; Spring wraps it several times.
      const causes = [...log.matchAll(/^Caused by: ([^\n]+)$/gm)].map((m) => m[1]);
      return `Zipkin failed to start: ${(causes.at(-1) ?? 'see its log').slice(0, 300)}`;
    },
    async prepare() {
      const lib = await fetchArtifacts(ZIPKIN_ARTIFACTS);
      const env: NodeJS.ProcessEnv = {};
      for (const key of INHERITED_ENV) if (process.env[key] !== undefined) env[key] = process.env[key];
      return {
        jvmArgs: zipkinJvmArgs(heap),
        mainArgs: [
          '-jar',
          join(lib, `zipkin-server-${VERSIONS.zipkin}-exec.jar`),
          // Zipkin listens through Armeria's Spring Boot ports list. Spring replaces a list from a
          // higher-priority source wholesale, so the whole entry (ip, port, protocol) is restated.
          `--armeria.ports[0].ip=${HOST}`,
          `--armeria.ports[0].port=${port}`,
          '--armeria.ports[0].protocols[0]=http',
          // Zipkin switches org.apache.kafka logging OFF; the consumer internals say when the
          // collector subscribed, joined its group and got partitions, without the config dumps.
          ...(opts.kafkaTopic ? ['--logging.level.org.apache.kafka.clients.consumer.internals=INFO'] : []),
        ],
        env: { ...env, ...zenv, QUERY_PORT: String(port) },
      };
    },
  };
}
