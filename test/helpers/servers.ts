/**
 * Where the integration servers are (started by scripts/test.sh through infra/). A test that
 * finds one missing fails with a clear message: integration tests never skip.
 */
import { KAFKA_BOOTSTRAP, OPENSEARCH_URL, ZIPKIN_URL } from '../../infra/config.js';

// The same addresses infra/ starts the servers on (TF_KAFKA_PORT, TF_OPENSEARCH_PORT, TF_ZIPKIN_PORT).
export const KAFKA = KAFKA_BOOTSTRAP;
export const OPENSEARCH = OPENSEARCH_URL;
export const ZIPKIN = ZIPKIN_URL;

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
