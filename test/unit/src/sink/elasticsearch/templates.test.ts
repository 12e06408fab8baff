import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createSearchClient, parseVersion, type SearchVersion } from '../../../../../core/elasticsearch/client.js';
import { checkAutocompleteMappings, checkSpanMappings, patternMatches } from '../../../../../src/sink/elasticsearch/mapping-check.js';
import { ensureTemplates, type TemplateOptions, templateBody, templateRequest } from '../../../../../src/sink/elasticsearch/templates.js';

const v = (distribution: 'elasticsearch' | 'opensearch', number: string): SearchVersion =>
  parseVersion({ version: { number, ...(distribution === 'opensearch' ? { distribution } : {}) } });

const ES5 = v('elasticsearch', '5.6.16');
const ES66 = v('elasticsearch', '6.6.2');
const ES68 = v('elasticsearch', '6.8.23');
const ES77 = v('elasticsearch', '7.7.1');
const ES78 = v('elasticsearch', '7.8.0');
const ES8 = v('elasticsearch', '8.15.0');
const ES9 = v('elasticsearch', '9.1.0');
const OS1 = v('opensearch', '1.3.19');
const OS2 = v('opensearch', '2.19.1');
const OS3 = v('opensearch', '3.4.0');

const DEFAULTS: TemplateOptions = { index: 'zipkin', shards: 5, replicas: 1, searchEnabled: true, strictTraceId: true, dateSeparator: '-' };

// zipkin-formats.md B.3, verbatim: span template, ES ≥ 7 / OpenSearch, legacy, defaults.
const B3_SPAN = JSON.parse(`{
  "index_patterns": "zipkin-span-*",
  "settings": {
    "index.number_of_shards": 5,
    "index.number_of_replicas": 1,
    "index.requests.cache.enable": true
  },
  "mappings": {
    "_source": {"excludes": ["_q"] },
    "dynamic_templates": [
      { "strings": {
          "mapping": { "type": "keyword","norms": false, "ignore_above": 256 },
          "match_mapping_type": "string",
          "match": "*" } }
    ],
    "properties": {
      "traceId": { "type": "keyword", "norms": false },
      "name": { "type": "keyword", "norms": false },
      "localEndpoint":  { "type": "object", "dynamic": false, "properties": { "serviceName": { "type": "keyword", "norms": false } } },
      "remoteEndpoint": { "type": "object", "dynamic": false, "properties": { "serviceName": { "type": "keyword", "norms": false } } },
      "timestamp_millis": { "type": "date", "format": "epoch_millis" },
      "duration": { "type": "long" },
      "annotations": { "enabled": false },
      "tags": { "enabled": false },
      "_q": { "type": "keyword", "norms": false }
    }
  }
}`) as Record<string, unknown>;
const B3_MAPPINGS = B3_SPAN.mappings;
const B3_SETTINGS = B3_SPAN.settings as Record<string, unknown>;
const KEYWORD = { type: 'keyword', norms: false };

describe('parseVersion (B.1)', () => {
  it('reads distribution, types and delimiter', () => {
    assert.deepEqual(
      [ES5, ES68, ES77, ES9, OS1, OS2, OS3].map((x) => [x.distribution, x.major, x.minor, x.supportsTypes, x.delimiter]),
      [
        ['elasticsearch', 5, 6, true, ':'],
        ['elasticsearch', 6, 8, true, ':'],
        ['elasticsearch', 7, 7, false, '-'],
        ['elasticsearch', 9, 1, false, '-'],
        ['opensearch', 1, 3, true, '-'],
        ['opensearch', 2, 19, false, '-'],
        ['opensearch', 3, 4, false, '-'],
      ],
    );
  });

  it('rejects versions Zipkin cannot read and bodies without a version', () => {
    assert.throws(() => v('elasticsearch', '2.4.0'), /not supported/);
    assert.throws(() => v('elasticsearch', '10.0.0'), /not supported/);
    assert.throws(() => v('opensearch', '4.0.0'), /not supported/);
    assert.throws(() => parseVersion({ tagline: 'x' }), /version.number/);
    assert.throws(() => parseVersion({ version: { number: 'x.y' } }), /invalid/);
  });
});

describe('template bodies (B.3)', () => {
  it('span, ES 7/8/9 and OpenSearch 1/2/3, legacy: exactly the B.3 body', () => {
    for (const version of [ES77, ES78, ES8, ES9, OS1, OS2, OS3]) {
      assert.deepEqual(templateBody('span', version, DEFAULTS), B3_SPAN, version.number);
      const req = templateRequest('span', version, DEFAULTS);
      assert.equal(req.path, '/_template/zipkin-span_template');
      assert.deepEqual(req.querystring, {});
    }
  });

  it('dependency and autocomplete share the header', () => {
    assert.deepEqual(templateBody('dependency', ES8, DEFAULTS), {
      index_patterns: 'zipkin-dependency-*',
      settings: B3_SETTINGS,
      mappings: { enabled: false },
    });
    assert.deepEqual(templateBody('autocomplete', OS2, DEFAULTS), {
      index_patterns: 'zipkin-autocomplete-*',
      settings: B3_SETTINGS,
      mappings: { enabled: true, properties: { tagKey: KEYWORD, tagValue: KEYWORD } },
    });
  });

  it('ES 6: colon delimiter, mappings under the type, include_type_name from 6.7', () => {
    const body = templateBody('span', ES68, DEFAULTS);
    assert.equal(body.index_patterns, 'zipkin:span-*');
    assert.deepEqual(body.mappings, { span: B3_MAPPINGS });
    assert.deepEqual(templateBody('dependency', ES68, DEFAULTS).mappings, { dependency: { enabled: false } });
    assert.deepEqual(templateRequest('span', ES68, DEFAULTS).querystring, { include_type_name: 'true' });
    assert.equal(templateRequest('span', ES68, DEFAULTS).path, '/_template/zipkin:span_template');
    assert.deepEqual(templateRequest('span', ES66, DEFAULTS).querystring, {});
  });

  it('ES 5: "template" instead of "index_patterns"', () => {
    const body = templateBody('autocomplete', ES5, DEFAULTS);
    assert.equal(body.template, 'zipkin:autocomplete-*');
    assert.equal(body.index_patterns, undefined);
    assert.deepEqual(body.mappings, { autocomplete: { enabled: true, properties: { tagKey: KEYWORD, tagValue: KEYWORD } } });
  });

  it('composable form only with a priority and on ES ≥ 7.8 / OpenSearch', () => {
    const opts = { ...DEFAULTS, priority: 10 };
    for (const version of [ES78, ES9, OS1, OS3]) {
      const req = templateRequest('span', version, opts);
      assert.equal(req.path, '/_index_template/zipkin-span_template');
      assert.deepEqual(req.body, {
        index_patterns: 'zipkin-span-*',
        template: { settings: B3_SETTINGS, mappings: B3_MAPPINGS },
        priority: 10,
      });
    }
    assert.equal(templateRequest('span', ES77, opts).path, '/_template/zipkin-span_template');
    assert.equal(templateRequest('span', ES68, opts).composable, false);
  });

  it('shards, replicas and prefix come from the options', () => {
    const body = templateBody('span', OS2, { ...DEFAULTS, index: 'tf', shards: 1, replicas: 0 });
    assert.equal(body.index_patterns, 'tf-span-*');
    assert.deepEqual(body.settings, { 'index.number_of_shards': 1, 'index.number_of_replicas': 0, 'index.requests.cache.enable': true });
  });

  it('STRICT_TRACE_ID=false adds the traceId analyzer and a text traceId', () => {
    const body = templateBody('span', ES8, { ...DEFAULTS, strictTraceId: false }) as {
      settings: Record<string, unknown>;
      mappings: { properties: Record<string, unknown> };
    };
    assert.deepEqual(body.settings.analysis, {
      analyzer: { traceId_analyzer: { type: 'custom', tokenizer: 'keyword', filter: 'traceId_filter' } },
      filter: { traceId_filter: { type: 'pattern_capture', patterns: ['([0-9a-f]{1,16})$'], preserve_original: true } },
    });
    assert.deepEqual(body.mappings.properties.traceId, { type: 'text', fielddata: 'true', analyzer: 'traceId_analyzer' });
    assert.deepEqual(templateBody('dependency', ES8, { ...DEFAULTS, strictTraceId: false }).settings, B3_SETTINGS);
  });

  it('SEARCH_ENABLED=false keeps only traceId, annotations and tags', () => {
    assert.deepEqual(templateBody('span', OS2, { ...DEFAULTS, searchEnabled: false }).mappings, {
      properties: { traceId: KEYWORD, annotations: { enabled: false }, tags: { enabled: false } },
    });
  });
});

// What dynamic mapping makes of a Zipkin document when no template exists (openzipkin/zipkin#2388).
const DYNAMIC_MAPPING = {
  properties: {
    traceId: { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } },
    name: { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } },
    localEndpoint: { properties: { serviceName: { type: 'text', fields: { keyword: { type: 'keyword' } } }, ipv4: { type: 'text' } } },
    timestamp_millis: { type: 'long' },
    duration: { type: 'long' },
    tags: { properties: { error: { type: 'text' } } },
  },
};

describe('mapping checks', () => {
  const opts = { searchEnabled: true, strictTraceId: true };

  it("accepts Zipkin's own mappings, wrapped or not", () => {
    assert.deepEqual(checkSpanMappings(B3_MAPPINGS, opts), []);
    assert.deepEqual(checkSpanMappings({ span: B3_MAPPINGS }, opts), []);
    assert.deepEqual(checkSpanMappings(templateBody('span', ES8, { ...DEFAULTS, strictTraceId: false }).mappings, opts), []);
    assert.deepEqual(
      checkSpanMappings(templateBody('span', ES8, { ...DEFAULTS, searchEnabled: false }).mappings, { ...opts, searchEnabled: false }),
      [],
    );
    assert.deepEqual(checkAutocompleteMappings(templateBody('autocomplete', ES5, DEFAULTS).mappings, opts), []);
  });

  it('names every field dynamic mapping got wrong', () => {
    const problems = checkSpanMappings(DYNAMIC_MAPPING, opts).join('\n');
    for (const field of [
      'traceId is type text',
      'name is type text',
      'localEndpoint.serviceName is type text',
      'remoteEndpoint.serviceName is not mapped',
      'timestamp_millis is type long',
      '_q is not mapped',
      'tags is type object',
      'annotations is not mapped',
    ]) {
      assert.ok(problems.includes(field), `${field} in\n${problems}`);
    }
  });

  it('needs the analyzer variant when STRICT_TRACE_ID=false', () => {
    assert.match(
      checkSpanMappings(B3_MAPPINGS, { ...opts, strictTraceId: false }).join(),
      /traceId is type keyword, expected text with analyzer/,
    );
  });

  it('matches index patterns as globs', () => {
    assert.ok(patternMatches('zipkin-span-*', 'zipkin-span-2024-01-01'));
    assert.ok(patternMatches('zipkin*', 'zipkin-span-2024-01-01'));
    assert.ok(!patternMatches('zipkin:span-*', 'zipkin-span-2024-01-01'));
    assert.ok(!patternMatches('zipkin.span-*', 'zipkinXspan-1'));
  });
});

/** Just enough of the template/mapping API to drive ensureTemplates. */
class FakeEngine {
  templates = new Map<string, unknown>();
  indices = new Map<string, unknown>();
  log: string[] = [];
  server: Server = createServer((req, res) => this.#handle(req, res));

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) body += chunk;
    const url = new URL(req.url ?? '/', 'http://x');
    const path = decodeURIComponent(url.pathname);
    this.log.push(`${req.method} ${path}${url.search}`);
    const send = (status: number, json: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(json));
    };
    const tpl = /^\/_template\/(.+)$/.exec(path);
    if (tpl?.[1] !== undefined) {
      const name = tpl[1];
      if (req.method === 'PUT') {
        this.templates.set(name, JSON.parse(body));
        return send(200, { acknowledged: true });
      }
      const t = this.templates.get(name) as Record<string, unknown> | undefined;
      if (t === undefined) return send(404, {});
      // Real engines answer index_patterns as a list.
      return send(200, { [name]: { order: 0, ...t, index_patterns: [t.index_patterns] } });
    }
    const mapping = /^\/([^/]+)\/_mapping$/.exec(path);
    if (mapping?.[1] !== undefined) {
      const m = this.indices.get(mapping[1]);
      if (m === undefined) return send(404, { error: { type: 'index_not_found_exception' }, status: 404 });
      return send(200, { [mapping[1]]: { mappings: m } });
    }
    if (path.startsWith('/_index_template/_simulate_index/')) return send(200, {});
    send(404, {});
  }

  async url(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
}

describe('ensureTemplates', () => {
  const engine = new FakeEngine();
  let client: ReturnType<typeof createSearchClient>;
  const now = Date.UTC(2024, 4, 1, 12);

  before(async () => {
    client = createSearchClient({ hosts: [await engine.url()], timeoutMs: 5000, maxRetries: 0 });
  });
  after(async () => {
    await client.close();
    engine.server.close();
  });

  it('PUTs only missing templates, then reads each back', async () => {
    const first = await ensureTemplates(client, OS2, DEFAULTS, now);
    assert.deepEqual(
      first.templates.map((t) => [t.name, t.created]),
      [
        ['zipkin-span_template', true],
        ['zipkin-dependency_template', true],
        ['zipkin-autocomplete_template', true],
      ],
    );
    assert.deepEqual(first.warnings, []);
    assert.deepEqual(engine.templates.get('zipkin-span_template'), B3_SPAN);
    engine.log = [];
    const second = await ensureTemplates(client, OS2, DEFAULTS, now);
    assert.ok(second.templates.every((t) => !t.created));
    assert.ok(!engine.log.some((l) => l.startsWith('PUT')));
  });

  it('fails naming the fields when an existing template would break the reader', async () => {
    engine.templates.set('foreign-span_template', { index_patterns: 'foreign-span-*', mappings: DYNAMIC_MAPPING });
    await assert.rejects(ensureTemplates(client, OS2, { ...DEFAULTS, index: 'foreign' }, now), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'TF_SEARCH_TEMPLATE');
      assert.match(err.message, /foreign-span_template/);
      assert.match(err.message, /localEndpoint\.serviceName is type text, expected keyword/);
      return true;
    });
  });

  it('fails when the template pattern does not cover the index names', async () => {
    engine.templates.set('narrow-span_template', { ...B3_SPAN, index_patterns: 'narrow-span-2023-*' });
    await assert.rejects(ensureTemplates(client, OS2, { ...DEFAULTS, index: 'narrow' }, now), /does not match narrow-span-2024-05-01/);
  });

  it("warns (does not fail) when today's span index already has a dynamic mapping (#2388)", async () => {
    engine.indices.set('early-span-2024-05-01', DYNAMIC_MAPPING);
    const res = await ensureTemplates(client, OS2, { ...DEFAULTS, index: 'early' }, now);
    assert.equal(res.warnings.length, 1);
    assert.match(res.warnings[0] ?? '', /early-span-2024-05-01 already exists .*#2388/);
  });
});
