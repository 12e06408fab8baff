/**
 * Where the integration servers are (started by scripts/test.sh through infra/). A test that
 * finds one missing fails with a clear message: integration tests never skip.
 */
export const KAFKA = process.env.TF_KAFKA_BOOTSTRAP ?? '127.0.0.1:9092';
export const OPENSEARCH = process.env.TF_OPENSEARCH_URL ?? 'http://127.0.0.1:9200';
export const ZIPKIN = process.env.TF_ZIPKIN_URL ?? 'http://127.0.0.1:9411';

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
