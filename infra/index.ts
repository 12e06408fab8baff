import { rmSync } from 'node:fs';
import { ELASTICSEARCH_ARTIFACTS, KAFKA_ARTIFACTS, OPENSEARCH_ARTIFACTS, ZIPKIN_ARTIFACTS } from './artifacts.js';
import { HOST, SEARCH_ENGINE, type SearchEngine } from './config.js';
import { elasticsearchSpec } from './elasticsearch.js';
import { InfraError } from './errors.js';
import { type ArtifactSet, fetchArtifacts } from './fetch.js';
import { portOpen } from './http.js';
import { kafkaSpec } from './kafka.js';
import { kafkaHealthy } from './kafka-probe.js';
import { opensearchSpec } from './opensearch.js';
import {
  dataDir,
  type EnsureResult,
  ensureServer,
  type Kind,
  knownInstances,
  ownedPid,
  readState,
  type ServerSpec,
  stopServer,
} from './server.js';
import { type ZipkinOptions, zipkinHealthy, zipkinSpec } from './zipkin.js';

export {
  ELASTICSEARCH_PORT,
  ELASTICSEARCH_URL,
  HOST,
  KAFKA_BOOTSTRAP,
  KAFKA_CONTROLLER_PORT,
  KAFKA_PORT,
  OPENSEARCH_PORT,
  OPENSEARCH_URL,
  parseSearchEngine,
  SEARCH_ENGINE,
  SEARCH_ENGINE_LABELS,
  SEARCH_ENGINES,
  SEARCH_URL,
  type SearchEngine,
  searchEngineUrl,
  ZIPKIN_PORT,
  ZIPKIN_URL,
} from './config.js';
export { InfraError } from './errors.js';
export { setSay } from './say.js';
export { logFile } from './server.js';
export type { ZipkinOptions } from './zipkin.js';

/** The servers `up` knows by name; extra Zipkin instances get names of their own. */
export const SERVER_NAMES = ['kafka', 'opensearch', 'zipkin', 'elasticsearch'] as const;
export type ServerName = (typeof SERVER_NAMES)[number];
/** Kafka, the search engine chosen by TRACEFOLD_SEARCH (OpenSearch unless set), and Zipkin reading it. */
export const DEFAULT_SERVERS: readonly ServerName[] = ['kafka', SEARCH_ENGINE, 'zipkin'];

export function isServerName(name: string): name is ServerName {
  return (SERVER_NAMES as readonly string[]).includes(name);
}

export interface ServerHandle {
  name: string;
  /** HTTP base URL, or host:port bootstrap address for Kafka. */
  url: string;
  outcome: EnsureResult['outcome'];
  /** Stops the instance if tracefold started it; a no-op for a reused external server. */
  stop(): Promise<void>;
}

async function ensure(spec: ServerSpec): Promise<ServerHandle> {
  const result = await ensureServer(spec);
  return {
    name: spec.name,
    url: result.url,
    outcome: result.outcome,
    stop: async () => {
      await stopServer(spec.name);
    },
  };
}

export const ensureKafka = (): Promise<ServerHandle> => ensure(kafkaSpec());
export const ensureOpenSearch = (): Promise<ServerHandle> => ensure(opensearchSpec());
export const ensureElasticsearch = (): Promise<ServerHandle> => ensure(elasticsearchSpec());
export const ensureSearchEngine = (engine: SearchEngine = SEARCH_ENGINE): Promise<ServerHandle> =>
  engine === 'elasticsearch' ? ensureElasticsearch() : ensureOpenSearch();

/**
 * Starts (or reuses, if the same configuration already runs) a Zipkin server on the search engine
 * chosen by TRACEFOLD_SEARCH (OpenSearch unless set), or on `esHosts`.
 * Tests can run extra instances next to the default one: give each its own name, port (9412+)
 * and `esIndex`, and optionally `kafkaTopic` to enable its Kafka collector.
 * The local search engine (and Kafka, for a collector) is ensured first unless other hosts are given.
 */
export async function startZipkin(
  opts: ZipkinOptions = {},
  { dependencies = true }: { dependencies?: boolean } = {},
): Promise<ServerHandle> {
  if (dependencies && !opts.esHosts) await ensureSearchEngine();
  if (dependencies && opts.kafkaTopic && !opts.kafkaBootstrap) await ensureKafka();
  return ensure(zipkinSpec(opts));
}

const ARTIFACTS: Record<ServerName, ArtifactSet> = {
  kafka: KAFKA_ARTIFACTS,
  opensearch: OPENSEARCH_ARTIFACTS,
  zipkin: ZIPKIN_ARTIFACTS,
  elasticsearch: ELASTICSEARCH_ARTIFACTS,
};

/** Downloads artifacts one server at a time: parallel Mavens race on the shared ~/.m2. */
export async function fetchServers(names: readonly ServerName[] = DEFAULT_SERVERS): Promise<void> {
  for (const name of names) await fetchArtifacts(ARTIFACTS[name]);
}

function kindOf(name: string): Kind | undefined {
  if (isServerName(name)) return name;
  return readState(name)?.kind;
}

/**
 * Stops the named instances (default: every instance tracefold started, extra Zipkins included).
 * Zipkins go first: they consume from Kafka and write to OpenSearch.
 */
export async function stopServers(names?: readonly string[]): Promise<string[]> {
  const targets = names ?? [...new Set([...knownInstances(), ...SERVER_NAMES])];
  const zipkins = targets.filter((n) => kindOf(n) === 'zipkin');
  const rest = targets.filter((n) => kindOf(n) !== 'zipkin');
  const stopped: string[] = [];
  for (const group of [zipkins, rest]) {
    const results = await Promise.all(group.map(async (n) => ((await stopServer(n)) ? n : undefined)));
    for (const n of results) if (n) stopped.push(n);
  }
  return stopped;
}

export const stopAll = (): Promise<string[]> => stopServers();

/** Stops the instances and deletes their data (Kafka log dirs, OpenSearch indices). Logs are kept. */
export async function cleanServers(names?: readonly string[]): Promise<void> {
  const targets = names ?? [...new Set([...knownInstances(), ...SERVER_NAMES])];
  await stopServers(targets);
  for (const name of targets) rmSync(dataDir(name), { recursive: true, force: true });
}

export interface ServerStatus {
  name: string;
  kind: Kind;
  /** running: ours and healthy; unhealthy: ours, not answering; external: someone else's server answers. */
  state: 'running' | 'unhealthy' | 'external' | 'stopped';
  pid?: number;
  url: string;
}

function builtinSpec(name: ServerName): ServerSpec {
  switch (name) {
    case 'kafka':
      return kafkaSpec();
    case 'opensearch':
      return opensearchSpec();
    case 'zipkin':
      return zipkinSpec({});
    case 'elasticsearch':
      return elasticsearchSpec();
  }
}

async function probe(kind: Kind, port: number, spec: ServerSpec | undefined): Promise<boolean> {
  if (spec) return spec.healthy();
  if (kind === 'kafka') return kafkaHealthy(HOST, port);
  if (kind === 'zipkin') return zipkinHealthy(port);
  return portOpen(HOST, port);
}

export async function status(): Promise<ServerStatus[]> {
  const names = [...new Set([...DEFAULT_SERVERS, ...knownInstances()])];
  const out: ServerStatus[] = [];
  for (const name of names) {
    const state = readState(name);
    const spec = isServerName(name) ? builtinSpec(name) : undefined;
    const kind = spec?.kind ?? state?.kind;
    if (!kind) continue;
    const url = state?.url ?? spec?.url ?? '';
    const port = state?.port ?? spec?.port ?? 0;
    const pid = ownedPid(name);
    if (pid !== undefined) {
      out.push({ name, kind, pid, url, state: (await probe(kind, port, spec)) ? 'running' : 'unhealthy' });
    } else if (spec && (await portOpen(HOST, spec.port)) && (await spec.healthy())) {
      out.push({ name, kind, url, state: 'external' });
    } else {
      out.push({ name, kind, url, state: 'stopped' });
    }
  }
  return out;
}

export function assertServerNames(names: readonly string[]): ServerName[] {
  for (const n of names) if (!isServerName(n)) throw new InfraError(`unknown server "${n}" (known: ${SERVER_NAMES.join(', ')})`);
  return names as ServerName[];
}
