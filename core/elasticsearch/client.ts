/**
 * One `@elastic/elasticsearch` client for Elasticsearch 5–9 and OpenSearch 1–3.
 *
 * The stock 9.x client refuses any 2xx answer without `x-elastic-product: Elasticsearch` (OpenSearch
 * never sends it) and sends `compatible-with=9` media types (OpenSearch answers 406, ES 8 rejects
 * them). The client builds its transport from a class we may supply, passing `productCheck` and
 * `vendoredHeaders` in the options: a subclass that drops both gets plain `application/json` /
 * `application/x-ndjson` headers and no product check (shared/notes/node-facts.md).
 * Pure construction, no module state: usable from the main thread and from worker threads
 * (each thread builds its own client).
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Client, SniffingTransport, type TransportOptions } from '@elastic/elasticsearch';
import { TracefoldError } from '../errors.js';

class NeutralTransport extends SniffingTransport {
  constructor(opts: TransportOptions) {
    const { productCheck: _productCheck, vendoredHeaders: _vendoredHeaders, ...rest } = opts;
    super(rest);
  }
}

/** TLS towards the engine: file paths (each thread reads them when it builds its client). */
export interface SearchTlsOptions {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  /** Verify the certificate chain and host name (the default; false only for test clusters). */
  verify: boolean;
}

export interface SearchClientOptions {
  hosts: readonly string[];
  username?: string;
  password?: string;
  /** `Authorization: ApiKey …`; exclusive with username/password. */
  apiKey?: string;
  tls?: SearchTlsOptions;
  /** Per-request timeout; bulk requests may override it. */
  timeoutMs: number;
  /** Client-internal retries for admin calls (bulk requests always pass 0 and retry themselves). */
  maxRetries?: number;
}

export function createSearchClient(opts: SearchClientOptions): Client {
  if (opts.hosts.length === 0)
    throw new TracefoldError('TF_CONFIG', 'sink.hosts is empty: at least one Elasticsearch/OpenSearch URL is needed');
  if (opts.apiKey !== undefined && opts.username !== undefined)
    throw new TracefoldError('TF_CONFIG', 'es.apiKey and es.username/es.password are both set: use one way to authenticate');
  const auth =
    opts.apiKey !== undefined
      ? { auth: { apiKey: opts.apiKey } }
      : opts.username !== undefined
        ? { auth: { username: opts.username, password: opts.password ?? '' } }
        : {};
  return new Client({
    nodes: [...opts.hosts],
    Transport: NeutralTransport,
    requestTimeout: opts.timeoutMs,
    maxRetries: opts.maxRetries ?? 2,
    ...auth,
    ...(opts.tls !== undefined ? { tls: tlsOptions(opts.tls) } : {}),
  });
}

/** Node's TLS options from the configured files; a file that cannot be read is a TF_CONFIG error naming it. */
export function tlsOptions(tls: SearchTlsOptions): ConnectionOptions {
  const read = (key: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new TracefoldError('TF_CONFIG', `${key}: cannot read ${path}: ${(err as Error).message}`, { path }, { cause: err });
    }
  };
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined))
    throw new TracefoldError('TF_CONFIG', 'es.tlsCertFile and es.tlsKeyFile go together: set both or neither');
  return {
    rejectUnauthorized: tls.verify,
    ...(tls.caFile !== undefined ? { ca: read('es.tlsCaFile', tls.caFile) } : {}),
    ...(tls.certFile !== undefined ? { cert: read('es.tlsCertFile', tls.certFile) } : {}),
    ...(tls.keyFile !== undefined ? { key: read('es.tlsKeyFile', tls.keyFile) } : {}),
  };
}

export type Distribution = 'elasticsearch' | 'opensearch';

export interface SearchVersion {
  distribution: Distribution;
  major: number;
  minor: number;
  /** The raw `.version.number`. */
  number: string;
  /** Mapping types (`_type`) still exist: ES < 7, OpenSearch < 2 (`BaseVersion.supportsTypes`). */
  supportsTypes: boolean;
  /** Between index prefix and type: ':' on ES < 7, '-' on ES ≥ 7 and every OpenSearch. */
  delimiter: ':' | '-';
}

/** Zipkin's `BaseVersion.Parser` over a `GET /` body; throws on versions Zipkin does not support. */
export function parseVersion(body: unknown): SearchVersion {
  const version = (body as { version?: { number?: unknown; distribution?: unknown } } | null)?.version;
  const number = version?.number;
  if (typeof number !== 'string') {
    throw new TracefoldError('TF_SEARCH_UNREACHABLE', `GET / answered without .version.number: ${JSON.stringify(body)?.slice(0, 200)}`);
  }
  const m = /^(\d+)\.(\d+)/.exec(number);
  if (m === null) throw new TracefoldError('TF_SEARCH_UNREACHABLE', `invalid .version.number ${JSON.stringify(number)}`);
  const major = Number(m[1]);
  const minor = Number(m[2]);
  const distribution: Distribution =
    typeof version?.distribution === 'string' && version.distribution.toLowerCase() === 'opensearch' ? 'opensearch' : 'elasticsearch';
  if (distribution === 'opensearch') {
    if (major < 1 || major >= 4)
      throw new TracefoldError('TF_CONFIG', `OpenSearch ${number} is not supported (Zipkin reads OpenSearch 1-3.x)`);
    return { distribution, major, minor, number, supportsTypes: major < 2, delimiter: '-' };
  }
  if (major < 5 || major >= 10)
    throw new TracefoldError('TF_CONFIG', `Elasticsearch ${number} is not supported (Zipkin reads Elasticsearch 5-9.x)`);
  return { distribution, major, minor, number, supportsTypes: major < 7, delimiter: major < 7 ? ':' : '-' };
}

/** `GET /` and parse the version (B.1). Connection problems surface as TF_SEARCH_UNREACHABLE. */
export async function detectVersion(client: Client): Promise<SearchVersion> {
  let body: unknown;
  try {
    body = await client.transport.request({ method: 'GET', path: '/' });
  } catch (err) {
    const status = (err as { meta?: { statusCode?: unknown } }).meta?.statusCode;
    if (status === 401 || status === 403)
      throw new TracefoldError(
        'TF_SEARCH_AUTH',
        `the search engine refused tracefold's credentials (HTTP ${status} on GET /): check es.username/es.password or es.apiKey`,
        { status },
        { cause: err },
      );
    const what = err instanceof Error ? err.message : String(err);
    throw new TracefoldError('TF_SEARCH_UNREACHABLE', `cannot read the search engine version (GET /): ${what}`, {}, { cause: err });
  }
  return parseVersion(body);
}
