import { homedir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InfraError } from './errors.js';

/** Everything binds here: the servers are for local tests and demos, never for the network. */
export const HOST = '127.0.0.1';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export const VERSIONS = {
  kafka: '4.1.1',
  /** Kafka 4.1.1 is built against log4j 2.24.x; its POM ships no backend at all. */
  log4j: '2.24.3',
  slf4j: '1.7.36',
  opensearchRunner: '2.19.1.0',
  zipkin: '3.6.1',
  elasticsearchRunner: '7.10.2.0',
} as const;

function envPort(variable: string, fallback: number): number {
  const raw = process.env[variable];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InfraError(`${variable}=${raw} is not a valid TCP port`);
  }
  return port;
}

export const KAFKA_PORT = envPort('TF_KAFKA_PORT', 9092);
export const KAFKA_CONTROLLER_PORT = envPort('TF_KAFKA_CONTROLLER_PORT', KAFKA_PORT + 1);
/**
 * Optional SASL_PLAINTEXT listener with SCRAM-SHA-512 (secured-cluster tests): off unless set. The
 * user is created when the storage is formatted; PLAINTEXT stays for inter-broker traffic and probes.
 */
export const KAFKA_SASL_PORT: number | undefined = process.env.TF_KAFKA_SASL_PORT ? envPort('TF_KAFKA_SASL_PORT', 0) : undefined;
export const KAFKA_SASL_USER = process.env.TF_KAFKA_SASL_USER || 'tracefold';
export const KAFKA_SASL_PASSWORD = process.env.TF_KAFKA_SASL_PASSWORD || 'tracefold-test-secret';
export const OPENSEARCH_PORT = envPort('TF_OPENSEARCH_PORT', 9200);
export const ZIPKIN_PORT = envPort('TF_ZIPKIN_PORT', 9411);
export const ELASTICSEARCH_PORT = envPort('TF_ELASTICSEARCH_PORT', 9201);

export const KAFKA_BOOTSTRAP = `${HOST}:${KAFKA_PORT}`;
export const OPENSEARCH_URL = `http://${HOST}:${OPENSEARCH_PORT}`;
export const ZIPKIN_URL = `http://${HOST}:${ZIPKIN_PORT}`;
export const ELASTICSEARCH_URL = `http://${HOST}:${ELASTICSEARCH_PORT}`;

/** The search engines infra/ can run; Zipkin and tracefold write the same documents to either. */
export const SEARCH_ENGINES = ['opensearch', 'elasticsearch'] as const;
export type SearchEngine = (typeof SEARCH_ENGINES)[number];

/** How an engine is named in messages and test titles. */
export const SEARCH_ENGINE_LABELS: Record<SearchEngine, string> = {
  opensearch: 'OpenSearch',
  elasticsearch: 'Elasticsearch',
};

export function parseSearchEngine(raw: string | undefined, variable = 'TRACEFOLD_SEARCH'): SearchEngine {
  if (raw === undefined || raw === '') return 'opensearch';
  const engine = raw.toLowerCase();
  if ((SEARCH_ENGINES as readonly string[]).includes(engine)) return engine as SearchEngine;
  throw new InfraError(`${variable}=${raw} is not a search engine infra can run (one of: ${SEARCH_ENGINES.join(', ')})`);
}

/**
 * The engine `up` starts by default and the default Zipkin reads (TRACEFOLD_SEARCH, default
 * opensearch): the demo and the integration tests' second pass switch it to Elasticsearch.
 */
export const SEARCH_ENGINE: SearchEngine = parseSearchEngine(process.env.TRACEFOLD_SEARCH);

export function searchEngineUrl(engine: SearchEngine): string {
  return engine === 'elasticsearch' ? ELASTICSEARCH_URL : OPENSEARCH_URL;
}

export const SEARCH_URL = searchEngineUrl(SEARCH_ENGINE);

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith('/'));
}

/** Downloaded jars are large and shared by every checkout, so they never live in the repo. */
export function cacheRoot(): string {
  const root = resolve(process.env.TRACEFOLD_CACHE || join(homedir(), '.cache', 'tracefold'));
  if (isInside(root, REPO_ROOT)) {
    throw new InfraError(`TRACEFOLD_CACHE=${root} is inside the repository; point it outside ${REPO_ROOT}`);
  }
  return root;
}

/** PID files, logs and server data; defaults to the git-ignored `.tracefold/run`. */
export function runDir(): string {
  return resolve(process.env.TRACEFOLD_RUN_DIR || join(REPO_ROOT, '.tracefold', 'run'));
}

export function javaBin(): string {
  if (process.env.TRACEFOLD_JAVA) return process.env.TRACEFOLD_JAVA;
  if (process.env.JAVA_HOME) return join(process.env.JAVA_HOME, 'bin', 'java');
  return 'java';
}
