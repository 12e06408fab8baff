/**
 * What each search engine tracefold detects accepts, checked without the engine: a stand-in HTTP
 * server per distribution and major version (Elasticsearch 7, 8, 9; OpenSearch 1, 2, 3) refuses
 * requests the way that engine does (compatibility media types, the product header it sends or
 * not, `include_type_name`, typed template mappings, `_type` in bulk lines, composable templates),
 * and tracefold's real client, template installer and bulk writer must get every request accepted,
 * using the template API Zipkin uses for that version.
 *
 * Elasticsearch 7.10.2 and OpenSearch 2.19.1 answers were read from the real engines that infra/
 * runs (and the integration tests run against both); the other versions are modelled from their
 * documented rules, so those versions are guarded by rule (README "Compatibility").
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Client } from '@elastic/elasticsearch';
import { createSearchClient, detectVersion, type SearchVersion } from '../../../../../core/elasticsearch/client.js';
import { isNormalizeFailure, normalizeSpan } from '../../../../../core/model/normalize.js';
import { ensureTemplates, type TemplateOptions } from '../../../../../src/sink/elasticsearch/templates.js';
import { bulkLines } from '../../../../../workers/encode/es-document.js';
import type { SinkSettings } from '../../../../../workers/protocol.js';
import { BulkWriter } from '../../../../../workers/sink/elasticsearch/bulk.js';

interface EngineRules {
  label: string;
  distribution: 'elasticsearch' | 'opensearch';
  number: string;
  /** Answered the same by the real engine here (infra/), or modelled from the engine's documentation. */
  basis: 'real' | 'rule';
  /** Sends `x-elastic-product: Elasticsearch` (Elasticsearch ≥ 7.14). */
  productHeader: boolean;
  /** `compatible-with=N` values accepted in Content-Type/Accept; any other vendored type is refused. */
  compatible: number[];
  /** Status of a refused vendored media type: 406 on ES 7.10 and OpenSearch, 400 on ES 8/9. */
  compatRefusal: 400 | 406;
  /** Accepts `?include_type_name` (ES 7 and OpenSearch 1: deprecated; removed in ES 8 and OpenSearch 2). */
  includeTypeName: boolean;
  /** Accepts `_type` in bulk action lines (removed in ES 8 and OpenSearch 2). */
  typedBulk: boolean;
}

const ENGINES: EngineRules[] = [
  {
    label: 'Elasticsearch 7.10.2',
    distribution: 'elasticsearch',
    number: '7.10.2',
    basis: 'real',
    productHeader: false,
    compatible: [],
    compatRefusal: 406,
    includeTypeName: true,
    typedBulk: true,
  },
  {
    label: 'Elasticsearch 8.19.3',
    distribution: 'elasticsearch',
    number: '8.19.3',
    basis: 'rule',
    productHeader: true,
    compatible: [7, 8],
    compatRefusal: 400,
    includeTypeName: false,
    typedBulk: false,
  },
  {
    label: 'Elasticsearch 9.1.0',
    distribution: 'elasticsearch',
    number: '9.1.0',
    basis: 'rule',
    productHeader: true,
    compatible: [8, 9],
    compatRefusal: 400,
    includeTypeName: false,
    typedBulk: false,
  },
  {
    label: 'OpenSearch 1.3.19',
    distribution: 'opensearch',
    number: '1.3.19',
    basis: 'rule',
    productHeader: false,
    compatible: [],
    compatRefusal: 406,
    includeTypeName: true,
    typedBulk: true,
  },
  {
    label: 'OpenSearch 2.19.1',
    distribution: 'opensearch',
    number: '2.19.1',
    basis: 'real',
    productHeader: false,
    compatible: [],
    compatRefusal: 406,
    includeTypeName: false,
    typedBulk: false,
  },
  {
    label: 'OpenSearch 3.4.0',
    distribution: 'opensearch',
    number: '3.4.0',
    basis: 'rule',
    productHeader: false,
    compatible: [],
    compatRefusal: 406,
    includeTypeName: false,
    typedBulk: false,
  },
];

type Json = Record<string, unknown>;

/** Mapping keys a typeless mapping may have at its root; anything else is a type name (ES ≥ 7, OpenSearch). */
const ROOT_MAPPING_KEYS = new Set(['properties', 'dynamic_templates', '_source', 'enabled', 'dynamic', '_meta', '_routing']);

const VENDORED = /^application\/vnd\.elasticsearch\+(json|x-ndjson)\s*;\s*compatible-with=(\d+)/i;
const PLAIN = /^application\/(json|x-ndjson)\s*(;\s*charset=utf-8\s*)?$/i;

interface Refusal {
  status: number;
  body: Json;
}

/** An engine's HTTP surface, as far as tracefold uses it, refusing what the real engine refuses. */
class RuleEngine {
  readonly rules: EngineRules;
  readonly legacy = new Map<string, Json>();
  readonly composable = new Map<string, Json>();
  /** `METHOD path` of every request, and every refusal with its reason. */
  readonly requests: string[] = [];
  readonly refusals: string[] = [];
  readonly headers: { contentType?: string; accept?: string }[] = [];
  /** The `_type` of every bulk action line (undefined when it has none). */
  readonly bulkTypes: unknown[] = [];
  readonly #server = createServer((req, res) => {
    this.#handle(req, res).catch((err: unknown) => {
      res.writeHead(500);
      res.end(String(err));
    });
  });

  constructor(rules: EngineRules) {
    this.rules = rules;
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  /** Content negotiation first, as the engines do before routing. */
  #mediaTypes(req: IncomingMessage, hasBody: boolean): Refusal | undefined {
    const contentType = req.headers['content-type'];
    const accept = req.headers.accept;
    this.headers.push({ contentType, accept });
    const versions: number[] = [];
    // Elasticsearch 7.10 and OpenSearch 2.19 ignore a vendored Accept (measured): only ES 8/9 judge it.
    const judged = [['Content-Type', hasBody ? contentType : undefined]] as [string, string | undefined][];
    if (this.rules.compatible.length > 0) judged.push(['Accept', accept]);
    for (const [name, value] of judged) {
      if (value === undefined || value === '*/*') continue;
      const vendored = VENDORED.exec(value);
      if (vendored) {
        const v = Number(vendored[2]);
        if (!this.rules.compatible.includes(v)) {
          const reason =
            this.rules.compatRefusal === 406
              ? `${name} header [${value}] is not supported`
              : `${name} version must be either version ${this.rules.compatible.join(' or ')}, but found ${v}`;
          return { status: this.rules.compatRefusal, body: { error: reason, status: this.rules.compatRefusal } };
        }
        versions.push(v);
      } else if (name === 'Content-Type' && !PLAIN.test(value)) {
        return { status: 406, body: { error: `Content-Type header [${value}] is not supported`, status: 406 } };
      }
    }
    // ES 8/9: a compatible version on one header needs the same on the other.
    if (versions.length === 1 && hasBody && this.rules.compatible.length > 0) {
      return {
        status: 400,
        body: { error: 'A compatible version is required on both Content-Type and Accept headers', status: 400 },
      };
    }
    return undefined;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) body += chunk;
    const url = new URL(req.url ?? '/', 'http://engine');
    const path = decodeURIComponent(url.pathname);
    const method = req.method ?? 'GET';
    this.requests.push(`${method} ${path}`);
    const send = (status: number, json: unknown): void => {
      const headers: Record<string, string> = { 'content-type': 'application/json; charset=UTF-8' };
      if (this.rules.productHeader) headers['x-elastic-product'] = 'Elasticsearch';
      res.writeHead(status, headers);
      res.end(JSON.stringify(json));
    };
    const refuse = (r: Refusal): void => {
      this.refusals.push(`${method} ${path}${url.search}: ${r.status} ${JSON.stringify(r.body)}`);
      send(r.status, r.body);
    };
    const badRequest = (type: string, reason: string): void =>
      refuse({ status: 400, body: { error: { root_cause: [{ type, reason }], type, reason }, status: 400 } });

    const media = this.#mediaTypes(req, body.length > 0);
    if (media) return refuse(media);
    if (url.searchParams.has('include_type_name') && !this.rules.includeTypeName) {
      return badRequest('illegal_argument_exception', `request [${path}] contains unrecognized parameter: [include_type_name]`);
    }

    if (path === '/' && method === 'GET') {
      const version: Json = { number: this.rules.number };
      if (this.rules.distribution === 'opensearch') version.distribution = 'opensearch';
      return send(200, { name: 'node-1', cluster_name: 'rules', version, tagline: 'You Know, for Search' });
    }

    const legacy = /^\/_template\/([^/]+)$/.exec(path)?.[1];
    if (legacy !== undefined) {
      if (method === 'PUT') {
        const template = JSON.parse(body) as Json;
        const mappings = (template.mappings ?? {}) as Json;
        const typed = Object.keys(mappings).filter((k) => !ROOT_MAPPING_KEYS.has(k));
        if (typed.length > 0 && !url.searchParams.has('include_type_name')) {
          return badRequest('mapper_parsing_exception', `Root mapping definition has unsupported parameters: [${typed.join(', ')}]`);
        }
        if (template.template !== undefined) {
          return badRequest('x_content_parse_exception', '[index_template] unknown field [template]');
        }
        this.legacy.set(legacy, template);
        return send(200, { acknowledged: true });
      }
      const t = this.legacy.get(legacy);
      if (t === undefined) return send(404, {});
      return send(200, { [legacy]: { order: 0, ...t, index_patterns: [t.index_patterns] } });
    }

    if (path.startsWith('/_index_template/_simulate_index/')) return send(200, {});
    const composable = /^\/_index_template\/([^/]+)$/.exec(path)?.[1];
    if (composable !== undefined) {
      if (method === 'PUT') {
        const template = JSON.parse(body) as Json;
        if (template.mappings !== undefined || template.settings !== undefined) {
          return badRequest('x_content_parse_exception', '[index_template] unknown field [mappings]');
        }
        this.composable.set(composable, template);
        return send(200, { acknowledged: true });
      }
      const t = this.composable.get(composable);
      if (t === undefined) return send(404, { error: { type: 'resource_not_found_exception' }, status: 404 });
      return send(200, { index_templates: [{ name: composable, index_template: { ...t, index_patterns: [t.index_patterns] } }] });
    }

    if (/^\/[^/_][^/]*\/_mapping$/.test(path)) {
      return send(404, { error: { type: 'index_not_found_exception' }, status: 404 });
    }

    if (path === '/_bulk' && method === 'POST') {
      const lines = body.split('\n').filter((l) => l.length > 0);
      const items: Json[] = [];
      for (let i = 0; i < lines.length; i += 2) {
        const action = (JSON.parse(lines[i] as string) as { index: Json }).index;
        this.bulkTypes.push(action._type);
        if ('_type' in action && !this.rules.typedBulk) {
          return badRequest('illegal_argument_exception', `Action/metadata line [${i + 1}] contains an unknown parameter [_type]`);
        }
        items.push({ index: { _index: action._index, _id: action._id, status: 201, result: 'created' } });
      }
      return send(200, { errors: false, items });
    }
    send(404, { error: `no handler for ${method} ${path}`, status: 404 });
  }
}

const span = (() => {
  const s = normalizeSpan({
    traceId: '463ac35c9f6413ad48485a3953bb6124',
    id: 'a2fb4a1d1a96d312',
    name: 'get /api',
    kind: 'SERVER',
    timestamp: 1_700_000_000_000_000,
    duration: 1200,
    localEndpoint: { serviceName: 'frontend' },
    tags: { 'http.method': 'GET' },
  });
  if (isNormalizeFailure(s)) throw new Error(s.reason);
  return s;
})();

const TEMPLATES: TemplateOptions = {
  index: 'zipkin',
  shards: 1,
  replicas: 0,
  searchEnabled: true,
  strictTraceId: true,
  dateSeparator: '-',
};

function sinkSettings(url: string, version: SearchVersion): SinkSettings {
  return {
    kind: 'elasticsearch',
    hosts: [url],
    index: 'zipkin',
    dateSeparator: '-',
    supportsTypes: version.supportsTypes,
    indexTypeDelimiter: version.delimiter,
    searchEnabled: true,
    autocompleteKeys: [],
    autocompleteTtlMs: 3_600_000,
    autocompleteCardinality: 1000,
    bulkMaxBytes: 1024 * 1024,
    bulkMaxInFlight: 1,
    refresh: false,
    retry: { initialMs: 10, maxMs: 20, maxAttempts: 1 },
    timeoutMs: 5000,
  };
}

for (const rules of ENGINES) {
  describe(`${rules.label} (${rules.basis === 'real' ? 'answers as the real engine here' : 'by rule'})`, () => {
    const engine = new RuleEngine(rules);
    let url: string;
    let client: Client;
    let version: SearchVersion;

    before(async () => {
      url = await engine.start();
      client = createSearchClient({ hosts: [url], timeoutMs: 5000, maxRetries: 0 });
      version = await detectVersion(client);
    });
    after(async () => {
      await client.close();
      await engine.stop();
    });

    it('is detected as this distribution and major version', () => {
      assert.equal(version.distribution, rules.distribution);
      assert.equal(version.number, rules.number);
      assert.equal(version.delimiter, '-');
    });

    it('installs the legacy _template API without a type or include_type_name, as Zipkin does by default', async () => {
      const res = await ensureTemplates(client, version, TEMPLATES);
      assert.deepEqual(
        res.templates.map((t) => [t.path, t.created]),
        [
          ['/_template/zipkin-span_template', true],
          ['/_template/zipkin-dependency_template', true],
          ['/_template/zipkin-autocomplete_template', true],
        ],
      );
      assert.deepEqual(engine.refusals, []);
      assert.equal(engine.composable.size, 0);
    });

    it('installs composable _index_templates when a priority is set (ES_TEMPLATE_PRIORITY)', async () => {
      const res = await ensureTemplates(client, version, { ...TEMPLATES, index: 'prio', priority: 10 });
      assert.deepEqual(
        res.templates.map((t) => t.path),
        ['/_index_template/prio-span_template', '/_index_template/prio-dependency_template', '/_index_template/prio-autocomplete_template'],
      );
      assert.deepEqual(engine.refusals, []);
      assert.equal((engine.composable.get('prio-span_template') as { priority?: number }).priority, 10);
    });

    it('bulk-writes a span it accepts (_type only where types still exist)', async () => {
      const settings = sinkSettings(url, version);
      let resolved = 0;
      const problems: string[] = [];
      const writer = new BulkWriter<null>(client, settings, {
        onResolved: (_ids, counts) => {
          for (const c of counts) resolved += c;
        },
        onDeadLetter: (_entry, code, reason) => problems.push(`dead letter ${code}: ${reason}`),
        onDropped: (_entry, code) => problems.push(`dropped ${code}`),
        onRetry: (code) => problems.push(`retry ${code}`),
      });
      writer.write({ lines: bulkLines(span, settings), batchId: 1, units: 1, ref: null });
      await writer.drain();
      await writer.close();
      assert.deepEqual(problems, []);
      assert.equal(resolved, 1);
      assert.deepEqual(engine.refusals, []);
      assert.ok(engine.requests.includes('POST /_bulk'));
      // As Zipkin: `_type` only where the version still has types (here only OpenSearch 1.x).
      assert.deepEqual(engine.bulkTypes, [version.supportsTypes ? 'span' : undefined]);
    });

    it('was sent only plain JSON / NDJSON media types, which every engine accepts', () => {
      assert.ok(engine.headers.length >= 10, `${engine.headers.length} requests`);
      for (const h of engine.headers) {
        if (h.contentType !== undefined) assert.match(h.contentType, PLAIN);
        if (h.accept !== undefined) assert.doesNotMatch(h.accept, /vnd\.elasticsearch/);
      }
    });
  });
}

describe('the rules refuse what the real engines refuse (so the checks above can fail)', () => {
  const stock = async (rules: EngineRules): Promise<unknown> => {
    const engine = new RuleEngine(rules);
    const url = await engine.start();
    // The stock client: product check on, `compatible-with=9` media types.
    const client = new Client({ node: url, maxRetries: 0, requestTimeout: 5000 });
    try {
      return await client.bulk({ operations: [{ index: { _index: 'zipkin-span-2024-01-01', _id: '1' } }, { traceId: '1' }] });
    } finally {
      await client.close();
      await engine.stop();
    }
  };
  const byLabel = (label: string): EngineRules => ENGINES.find((e) => e.label.startsWith(label)) as EngineRules;

  it('the stock client fails on Elasticsearch 7.10 and every OpenSearch (vendored media type, no product header)', async () => {
    for (const label of ['Elasticsearch 7', 'OpenSearch 1', 'OpenSearch 2', 'OpenSearch 3']) {
      await assert.rejects(stock(byLabel(label)), /406|not supported|product/i, label);
    }
  });

  it('the stock client fails on Elasticsearch 8 (compatible-with=9) but not on Elasticsearch 9', async () => {
    await assert.rejects(stock(byLabel('Elasticsearch 8')), /version must be either version 7 or 8, but found 9/);
    await stock(byLabel('Elasticsearch 9'));
  });

  it('typed template mappings, include_type_name and _type in bulk lines are refused where types are gone', async () => {
    for (const label of ['Elasticsearch 8', 'Elasticsearch 9', 'OpenSearch 2', 'OpenSearch 3']) {
      const engine = new RuleEngine(byLabel(label));
      const url = await engine.start();
      const json = { 'content-type': 'application/json' };
      try {
        const typed = await fetch(`${url}/_template/x`, {
          method: 'PUT',
          headers: json,
          body: JSON.stringify({ index_patterns: 'x-*', mappings: { span: { properties: {} } } }),
        });
        assert.equal(typed.status, 400, label);
        assert.equal((await fetch(`${url}/_template/x?include_type_name=true`, { headers: json })).status, 400, label);
        const bulk = await fetch(`${url}/_bulk`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-ndjson' },
          body: '{"index":{"_index":"x-span-2024-01-01","_type":"span","_id":"1"}}\n{}\n',
        });
        assert.equal(bulk.status, 400, label);
        assert.equal(engine.refusals.length, 3, label);
      } finally {
        await engine.stop();
      }
    }
  });
});
