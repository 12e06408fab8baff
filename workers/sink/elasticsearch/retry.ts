/**
 * What to do with a bulk item or a whole bulk request that did not succeed, and how long to wait.
 *
 * Per item (`items[i].index.status`), mirroring Vector's Elasticsearch sink table:
 *   2xx                      → resolved
 *   429, 408, 5xx (not 501)  → retry this item (overload, shard relocating, node restarting)
 *   any other status         → reject: dead-letter with the error type/reason (mapping conflict,
 *                              document too large, invalid index name…). Retrying cannot help.
 * Whole request:
 *   connection refused/reset, timeout, unparsable or mismatched answer, 408, 429, 5xx
 *                            → retry the same body, unbounded: the engine is down or overloaded,
 *                              and backpressure upstream keeps memory bounded meanwhile
 *   401, 403, 404, 405       → retry the same body, unbounded: credentials, proxy or URL problems
 *                              are configuration errors an operator fixes; dead-lettering healthy
 *                              spans because a password rotated would be worse
 *   413 and other 4xx        → split the request to isolate the culprit; a single entry that
 *                              still fails is rejected (dead letter)
 * Waits between attempts: ../backoff.ts.
 */
import { errors } from '@elastic/elasticsearch';

export type ItemAction = 'resolve' | 'retry' | 'reject';

export function classifyItemStatus(status: number): ItemAction {
  if (status >= 200 && status < 300) return 'resolve';
  if (status === 429 || status === 408 || (status >= 500 && status !== 501 && status < 600)) return 'retry';
  return 'reject';
}

export interface RequestFailure {
  action: 'retry' | 'split';
  /** Stable metric label: `connection`, `timeout`, `bad_response`, `http_503`… */
  code: string;
  reason: string;
}

const CONFIG_STATUSES: ReadonlySet<number> = new Set([401, 403, 404, 405]);

function errorSummary(body: unknown): string | undefined {
  const e = (body as { error?: unknown } | null | undefined)?.error;
  if (typeof e === 'string') return e;
  if (typeof e === 'object' && e !== null) {
    const { type, reason } = e as { type?: unknown; reason?: unknown };
    if (typeof type === 'string') return typeof reason === 'string' ? `${type}: ${reason}` : type;
  }
  return undefined;
}

export function classifyRequestError(err: unknown): RequestFailure {
  if (err instanceof errors.ResponseError) {
    const status = err.meta.statusCode ?? 0;
    const summary = errorSummary(err.meta.body);
    const reason = summary === undefined ? `HTTP ${status}` : `HTTP ${status} ${summary}`;
    const code = `http_${status}`;
    if (status === 408 || status === 429 || status >= 500 || status < 400 || CONFIG_STATUSES.has(status))
      return { action: 'retry', code, reason };
    return { action: 'split', code, reason };
  }
  if (err instanceof errors.TimeoutError) return { action: 'retry', code: 'timeout', reason: err.message };
  if (err instanceof errors.ConnectionError || err instanceof errors.NoLivingConnectionsError) {
    return { action: 'retry', code: 'connection', reason: err.message };
  }
  if (err instanceof errors.DeserializationError) return { action: 'retry', code: 'bad_response', reason: err.message };
  return { action: 'retry', code: 'unknown', reason: err instanceof Error ? err.message : String(err) };
}
