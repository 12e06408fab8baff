/**
 * Where the integration servers are (started by scripts/test.sh through infra/). A test that
 * finds one missing fails with a clear message: integration tests never skip.
 */
import {
  SEARCH_ENGINE as ENGINE,
  KAFKA_BOOTSTRAP,
  OPENSEARCH_URL,
  SEARCH_ENGINE_LABELS,
  SEARCH_URL,
  type SearchEngine,
  ZIPKIN_PORT,
  ZIPKIN_URL,
} from '../../infra/config.js';

// The same addresses infra/ starts the servers on (TF_KAFKA_PORT, TF_OPENSEARCH_PORT, TF_ZIPKIN_PORT).
export const KAFKA = KAFKA_BOOTSTRAP;
/** Always the OpenSearch node, for tests that are about OpenSearch whatever the engine choice. */
export const OPENSEARCH = OPENSEARCH_URL;
export const ZIPKIN = ZIPKIN_URL;
/** Ports for a test's extra Zipkin servers: next to the default one, so TF_ZIPKIN_PORT moves them too. */
export const zipkinPort = (offset: number): number => ZIPKIN_PORT + offset;

/**
 * The search engine under test: TRACEFOLD_SEARCH=elasticsearch (scripts/test.sh's second pass)
 * points the engine-dependent tests at Elasticsearch (TF_ELASTICSEARCH_PORT), else OpenSearch.
 * Tests put SEARCH_LABEL in their titles so a failure names the engine.
 */
export const SEARCH_ENGINE: SearchEngine = ENGINE;
export const SEARCH = SEARCH_URL;
export const SEARCH_LABEL = `${SEARCH_ENGINE_LABELS[SEARCH_ENGINE]} at ${SEARCH_URL}`;

/** Fails unless the engine at SEARCH is the one TRACEFOLD_SEARCH asked for (not the other one on a swapped port). */
export async function requireSearchEngine(): Promise<void> {
  const hint = `start it with \`npx tsx infra/cli.ts up ${SEARCH_ENGINE}\``;
  let root: { version?: { distribution?: string; number?: string } };
  try {
    const res = await fetch(SEARCH, { signal: AbortSignal.timeout(5000) });
    root = (await res.json()) as typeof root;
  } catch (err) {
    throw new Error(`${SEARCH_LABEL} is not reachable (${(err as Error).message}); ${hint}`);
  }
  const found: SearchEngine = root.version?.distribution === 'opensearch' ? 'opensearch' : 'elasticsearch';
  if (found !== SEARCH_ENGINE) {
    throw new Error(`${SEARCH_LABEL}: found ${SEARCH_ENGINE_LABELS[found]} ${root.version?.number ?? '?'} there instead; ${hint}`);
  }
}

export async function requireHttp(url: string, what: string): Promise<void> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    await res.arrayBuffer();
  } catch (err) {
    throw new Error(`${what} is not reachable at ${url} (${(err as Error).message}); start it with \`npx tsx infra/cli.ts up\``);
  }
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
}
