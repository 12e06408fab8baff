/**
 * The Elasticsearch/OpenSearch sink against a real engine: templates, Zipkin documents written
 * by BulkWriter, read back the way Zipkin's reader queries them.
 *
 * Needs the engine under test running at its infra address: OpenSearch (TF_OPENSEARCH_PORT, default
 * 9200; `npx tsx infra/cli.ts up opensearch`), or with TRACEFOLD_SEARCH=elasticsearch, Elasticsearch
 * (TF_ELASTICSEARCH_PORT, default 9201; `npx tsx infra/cli.ts up elasticsearch`). Fails (does not
 * skip) when it is not reachable or is the other engine.
 * Everything it creates is under a random index prefix and removed afterwards.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@elastic/elasticsearch';
import { createSearchClient, detectVersion, type SearchVersion } from '../../../core/elasticsearch/client.js';
import { isNormalizeFailure, normalizeSpan, type RawSpan } from '../../../core/model/normalize.js';
import type { Span } from '../../../core/model/span.js';
import { checkSpanMappings } from '../../../src/sink/elasticsearch/mapping-check.js';
import {
  createTodaysSpanIndex,
  ensureTemplates,
  TEMPLATE_TYPES,
  type TemplateOptions,
  templateRequest,
} from '../../../src/sink/elasticsearch/templates.js';
import { type AutocompleteDoc, AutocompleteTracker, bulkLines, formatDay } from '../../../workers/encode/es-document.js';
import type { SinkSettings } from '../../../workers/protocol.js';
import { BulkWriter } from '../../../workers/sink/elasticsearch/bulk.js';
import type { SinkEntry, SinkEvents } from '../../../workers/sink/sink.js';
import { requireSearchEngine, SEARCH, SEARCH_ENGINE, SEARCH_LABEL } from '../../helpers/servers.js';

const URL_ = SEARCH;
// Same convention as test/helpers/traffic.ts: the shared samples next to the repository.
const TESTDATA = resolve(process.env.TRACEFOLD_SAMPLES ?? join(import.meta.dirname, '../../../../shared/testdata/zipkin-v2'));
const PREFIX = `tftest${randomBytes(4).toString('hex')}`;
const AUTOCOMPLETE_KEYS = ['http.method', 'component', 'environment'];

type Json = Record<string, unknown>;

function loadSpans(): Span[] {
  const spans: Span[] = [];
  for (const file of readdirSync(TESTDATA)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const parsed = JSON.parse(readFileSync(`${TESTDATA}/${file}`, 'utf8')) as RawSpan | RawSpan[];
    for (const raw of Array.isArray(parsed) ? parsed : [parsed]) {
      const span = normalizeSpan(raw);
      if (isNormalizeFailure(span)) throw new Error(`${file}: ${span.reason}`);
      spans.push(span);
    }
  }
  return spans;
}

interface Ref {
  kind: 'span' | 'autocomplete';
  key?: string;
}

function collector() {
  const state = {
    resolved: 0,
    deadLetters: [] as { entry: SinkEntry<Ref>; code: string; reason: string }[],
    dropped: [] as string[],
    retries: [] as string[],
  };
  const events: SinkEvents<Ref> = {
    onResolved: (_ids, counts) => {
      for (const c of counts) state.resolved += c;
    },
    onDeadLetter: (entry, code, reason) => state.deadLetters.push({ entry, code, reason }),
    onDropped: (_entry, code) => state.dropped.push(code),
    onRetry: (code) => state.retries.push(code),
  };
  return { state, events };
}

async function req(client: Client, method: string, path: string, body?: Json, querystring?: Json): Promise<{ status: number; body: Json }> {
  const res = await client.transport.request(
    { method, path, ...(body === undefined ? {} : { body }), ...(querystring === undefined ? {} : { querystring }) },
    { meta: true, ignore: [404] },
  );
  return { status: res.statusCode, body: res.body as Json };
}

async function cleanupPrefix(client: Client, prefix: string): Promise<void> {
  const cat = await req(client, 'GET', `/_cat/indices/${prefix}*`, undefined, { format: 'json' });
  const names = Array.isArray(cat.body) ? (cat.body as { index: string }[]).map((i) => i.index).filter((n) => n.startsWith(prefix)) : [];
  if (names.length > 0) await req(client, 'DELETE', `/${names.join(',')}`);
  for (const kind of ['_template', '_index_template']) {
    const list = await req(client, 'GET', `/${kind}/${prefix}*`);
    const found =
      kind === '_template'
        ? Object.keys(list.body ?? {})
        : ((list.body?.index_templates as { name: string }[] | undefined) ?? []).map((t) => t.name);
    for (const name of found.filter((n) => n.startsWith(prefix))) await req(client, 'DELETE', `/${kind}/${name}`);
  }
}

describe(`Elasticsearch/OpenSearch sink on ${SEARCH_LABEL}`, () => {
  let client: Client;
  let version: SearchVersion;
  let settings: SinkSettings;
  let templateOpts: TemplateOptions;

  before(async () => {
    await requireSearchEngine();
    client = createSearchClient({ hosts: [URL_], timeoutMs: 30_000 });
    version = await detectVersion(client);
    settings = {
      kind: 'elasticsearch',
      hosts: [URL_],
      index: PREFIX,
      dateSeparator: '-',
      supportsTypes: version.supportsTypes,
      indexTypeDelimiter: version.delimiter,
      searchEnabled: true,
      autocompleteKeys: AUTOCOMPLETE_KEYS,
      autocompleteTtlMs: 3_600_000,
      autocompleteCardinality: 20_000,
      bulkMaxBytes: 256 * 1024,
      bulkMaxInFlight: 2,
      refresh: true,
      retry: { initialMs: 100, maxMs: 2000, maxAttempts: 5 },
      timeoutMs: 30_000,
    };
    templateOpts = { index: PREFIX, shards: 1, replicas: 0, searchEnabled: true, strictTraceId: true, dateSeparator: '-' };
  });

  after(async () => {
    if (client === undefined) return;
    for (const p of [PREFIX, `${PREFIX}x`, `${PREFIX}y`, `${PREFIX}z`]) await cleanupPrefix(client, p);
    await client.close();
  });

  it('detects the engine under test, in a version Zipkin supports', () => {
    assert.equal(version.distribution, SEARCH_ENGINE, `${SEARCH_LABEL} reports ${version.distribution} ${version.number}`);
    assert.equal(version.delimiter, version.distribution === 'elasticsearch' && version.major < 7 ? ':' : '-');
  });

  it('installs and verifies the templates, then leaves them alone', async () => {
    const first = await ensureTemplates(client, version, templateOpts);
    assert.deepEqual(
      first.templates.map((t) => [t.type, t.created]),
      TEMPLATE_TYPES.map((t) => [t, true]),
    );
    assert.deepEqual(first.warnings, []);
    const second = await ensureTemplates(client, version, templateOpts);
    assert.ok(second.templates.every((t) => !t.created));
    const installed = await req(client, 'GET', templateRequest('span', version, templateOpts).path);
    assert.equal(installed.status, 200);
  });

  describe('writing the shared test spans', () => {
    let spans: Span[];
    const lines: string[] = [];
    const autocomplete: AutocompleteDoc[] = [];

    before(async () => {
      spans = loadSpans();
      const tracker = new AutocompleteTracker(settings);
      for (const span of spans) {
        lines.push(bulkLines(span, settings));
        tracker.collect(span, autocomplete);
      }
    });

    async function writeAll(): Promise<ReturnType<typeof collector>['state']> {
      const { state, events } = collector();
      const writer = new BulkWriter<Ref>(client, settings, events);
      lines.forEach((l, i) => {
        writer.write({ lines: l, batchId: i % 7, units: 1, ref: { kind: 'span' } });
      });
      for (const a of autocomplete) writer.write({ lines: a.lines, batchId: 0, units: 0, ref: { kind: 'autocomplete', key: a.key } });
      await writer.drain();
      await writer.close();
      return state;
    }

    function expected(): Map<string, { index: string; doc: Json }> {
      const byId = new Map<string, { index: string; doc: Json }>();
      for (const l of lines) {
        const [action, doc] = l.split('\n') as [string, string];
        const meta = (JSON.parse(action) as { index: { _index: string; _id: string } }).index;
        const source = JSON.parse(doc) as Json;
        delete source._q; // excluded from _source by the template
        byId.set(meta._id, { index: meta._index, doc: source });
      }
      return byId;
    }

    async function spanCount(): Promise<number> {
      const res = await req(client, 'GET', `/${PREFIX}${version.delimiter}span-*/_count`);
      return res.body.count as number;
    }

    it('bulk-writes every span and autocomplete value, nothing dead-lettered', async () => {
      assert.ok(spans.length > 1000, `${spans.length} spans`);
      assert.ok(autocomplete.length > 0);
      const state = await writeAll();
      assert.deepEqual(state.deadLetters, []);
      assert.deepEqual(state.dropped, []);
      assert.equal(state.resolved, spans.length);
    });

    it("reads every trace back by `term traceId` with _source equal to Zipkin's document", async () => {
      const want = expected();
      const traceIds = [...new Set(spans.map((s) => s.traceId))];
      let seen = 0;
      for (const traceId of traceIds) {
        const res = await req(
          client,
          'POST',
          `/${PREFIX}*span-*/_search`,
          { query: { term: { traceId } }, size: 10_000 },
          { allow_no_indices: 'true', expand_wildcards: 'open', ignore_unavailable: 'true' },
        );
        const hits = (res.body.hits as { hits: { _id: string; _index: string; _source: Json }[] }).hits;
        for (const hit of hits) {
          const w = want.get(hit._id);
          assert.ok(w, `unexpected document ${hit._id}`);
          assert.equal(hit._index, w.index);
          assert.deepEqual(hit._source, w.doc);
          seen++;
        }
      }
      assert.equal(seen, want.size);
      assert.equal(await spanCount(), want.size);
    });

    it("serves the reader's other queries: _q terms, timestamp_millis ranges, keyword aggregations", async () => {
      const index = `/${PREFIX}*span-*/_search`;
      const byQ = await req(client, 'POST', index, { query: { term: { _q: 'http.method=GET' } }, size: 0, track_total_hits: true });
      const expectedQ = spans.filter((s) => s.tags?.['http.method'] === 'GET').length;
      assert.ok(expectedQ > 0);
      assert.equal((byQ.body.hits as { total: { value: number } }).total.value, expectedQ);

      const withTs = spans.filter((s) => s.timestamp !== undefined);
      const minMs = Math.min(...withTs.map((s) => Math.floor((s.timestamp as number) / 1000)));
      const maxMs = Math.max(...withTs.map((s) => Math.floor((s.timestamp as number) / 1000)));
      const ranged = await req(client, 'POST', index, {
        size: 0,
        track_total_hits: true,
        query: { range: { timestamp_millis: { gte: minMs, lte: maxMs } } },
        // The aggregations behind the UI's service and span name lists (fail on text fields, #2388).
        aggs: {
          services: { terms: { field: 'localEndpoint.serviceName', size: 1000 } },
          remote: { terms: { field: 'remoteEndpoint.serviceName', size: 1000 } },
          names: { terms: { field: 'name', size: 1000 } },
          traces: { terms: { field: 'traceId', size: 10 }, aggs: { ts: { min: { field: 'timestamp_millis' } } } },
        },
      });
      assert.equal(ranged.status, 200);
      assert.equal((ranged.body.hits as { total: { value: number } }).total.value, withTs.length);
      const services = ((ranged.body.aggregations as Json).services as { buckets: { key: string }[] }).buckets.map((b) => b.key);
      const expectedServices = [...new Set(withTs.map((s) => s.localEndpoint?.serviceName).filter((n) => n !== undefined))].sort();
      assert.deepEqual(services.sort(), expectedServices);

      const ac = await req(client, 'POST', `/${PREFIX}*autocomplete-*/_search`, {
        size: 0,
        query: { term: { tagKey: 'http.method' } },
        aggs: { values: { terms: { field: 'tagValue', size: 100 } } },
      });
      const values = ((ac.body.aggregations as Json).values as { buckets: { key: string }[] }).buckets.map((b) => b.key).sort();
      assert.deepEqual(values, [...new Set(spans.map((s) => s.tags?.['http.method']).filter((v) => v !== undefined))].sort());
    });

    it('day indices are exactly the expected names and got the template mapping', async () => {
      const res = await req(client, 'GET', `/${PREFIX}${version.delimiter}span-*/_mapping`);
      const wantIndices = [...new Set([...expected().values()].map((w) => w.index))].sort();
      assert.deepEqual(Object.keys(res.body).sort(), wantIndices);
      for (const name of wantIndices) {
        assert.match(name, new RegExp(`^${PREFIX}${version.delimiter}span-\\d{4}-\\d{2}-\\d{2}$`));
        assert.deepEqual(checkSpanMappings((res.body[name] as Json).mappings, { searchEnabled: true, strictTraceId: true }), [], name);
      }
    });

    it('re-writing the same spans overwrites (idempotent _id): the count does not change', async () => {
      const before = await spanCount();
      const state = await writeAll();
      assert.equal(state.resolved, spans.length);
      assert.equal(await spanCount(), before);
    });

    it('dead-letters a mapping conflict at once, without retrying it', async () => {
      const good = lines[0] as string;
      const index = (JSON.parse(good.split('\n')[0] as string) as { index: { _index: string } }).index._index;
      const conflict = `{"index":{"_index":"${index}","_id":"conflict-1"}}\n{"traceId":"0000000000000001","id":"0000000000000001","duration":"not a number"}\n`;
      const { state, events } = collector();
      const writer = new BulkWriter<Ref>(client, settings, events);
      writer.write({ lines: conflict, batchId: 1, units: 1, ref: { kind: 'span' } });
      writer.write({ lines: good, batchId: 1, units: 1, ref: { kind: 'span' } });
      await writer.drain();
      await writer.close();
      assert.equal(state.resolved, 1);
      assert.equal(state.deadLetters.length, 1);
      assert.match(state.deadLetters[0]?.code ?? '', /parsing_exception/);
      assert.match(state.deadLetters[0]?.reason ?? '', /^HTTP 400 .*duration/);
      assert.deepEqual(state.retries, []);
    });
  });

  it("refuses a composable template that would override Zipkin's legacy template", async () => {
    const prefix = `${PREFIX}x`;
    await req(client, 'PUT', `/_index_template/${prefix}-foreign`, {
      index_patterns: [`${prefix}-span-*`],
      priority: 500,
      template: { mappings: { properties: { localEndpoint: { properties: { serviceName: { type: 'text' } } } } } },
    });
    await assert.rejects(ensureTemplates(client, version, { ...templateOpts, index: prefix }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'TF_SEARCH_TEMPLATE');
      assert.match(err.message, /would not get Zipkin's mappings.*localEndpoint\.serviceName is type text/);
      return true;
    });
  });

  it("creates today's span index ahead with Zipkin's mappings, and takes an existing one as it is", async () => {
    const prefix = `${PREFIX}z`;
    await ensureTemplates(client, version, { ...templateOpts, index: prefix });
    const first = await createTodaysSpanIndex(client, version, { index: prefix, dateSeparator: '-' });
    assert.deepEqual(first, { index: `${prefix}${version.delimiter}span-${formatDay(Date.now(), '-')}`, created: true });
    const res = await req(client, 'GET', `/${first.index}/_mapping`);
    assert.deepEqual(checkSpanMappings((res.body[first.index] as Json).mappings, { searchEnabled: true, strictTraceId: true }), []);
    assert.deepEqual(await createTodaysSpanIndex(client, version, { index: prefix, dateSeparator: '-' }), {
      index: first.index,
      created: false,
    });
  });

  it("warns when today's span index was created before the template (#2388)", async () => {
    const prefix = `${PREFIX}y`;
    const today = `${prefix}-span-${formatDay(Date.now(), '-')}`;
    const created = await req(
      client,
      'PUT',
      `/${today}/_doc/1`,
      { traceId: '0000000000000001', localEndpoint: { serviceName: 'early' } },
      { refresh: 'true' },
    );
    assert.ok(created.status < 300);
    const res = await ensureTemplates(client, version, { ...templateOpts, index: prefix });
    assert.equal(res.warnings.length, 1);
    assert.match(res.warnings[0] ?? '', /already exists .*localEndpoint\.serviceName is type text/);
  });
});
