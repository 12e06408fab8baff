/**
 * Zipkin's index templates (`VersionSpecificTemplates`, `ElasticsearchSpecificTemplates`,
 * `OpensearchSpecificTemplates`; zipkin-formats.md B.3) and their installation.
 *
 * Bodies, per distribution/version:
 *  - pattern `{prefix}{delim}{type}-*` under `index_patterns`, or `template` on ES 5;
 *  - ES < 7 (not OpenSearch) nests the mappings under the type name;
 *  - composable form `{index_patterns, template: {settings, mappings}, priority}` when a priority
 *    is configured and the engine has `_index_template` (ES ≥ 7.8, OpenSearch);
 *  - settings: shards, replicas, request cache; `STRICT_TRACE_ID=false` adds the traceId analyzer;
 *  - `SEARCH_ENABLED=false` keeps only traceId, annotations and tags in the span mappings.
 * URLs: `/_template/{prefix}{delim}{type}_template` (+ `include_type_name=true` on ES 6.7–6.x), or
 * `/_index_template/…` for the composable form.
 *
 * `ensureTemplates` does what Zipkin does (GET, PUT only on 404) and then what Zipkin does not:
 * it reads the installed template back and fails if the fields the reader needs are mapped
 * differently (a foreign or hand-edited template), checks what a new day index would really get
 * (a composable template can silently override a legacy one), and warns when today's span index
 * already exists with a mapping that breaks the UI (openzipkin/zipkin#2388).
 */
import type { Client } from '@elastic/elasticsearch';
import type { SearchVersion } from '../../../core/elasticsearch/client.js';
import { formatDay, indexName } from '../../../core/elasticsearch/index-name.js';
import { TracefoldError } from '../../../core/errors.js';
import {
  checkAutocompleteMappings,
  checkDependencyMappings,
  checkSpanMappings,
  type MappingCheckOptions,
  patternMatches,
  typelessMappings,
} from './mapping-check.js';

export type TemplateType = 'span' | 'dependency' | 'autocomplete';
export const TEMPLATE_TYPES: readonly TemplateType[] = ['span', 'dependency', 'autocomplete'];

export interface TemplateOptions {
  /** Index prefix (`ES_INDEX`), e.g. `zipkin`. */
  index: string;
  shards: number;
  replicas: number;
  searchEnabled: boolean;
  strictTraceId: boolean;
  /** `ES_TEMPLATE_PRIORITY`: when set (and supported), composable `_index_template`s are used. */
  priority?: number;
  /** For the name of today's index in the existing-index check. */
  dateSeparator: string;
}

type Json = Record<string, unknown>;

const KEYWORD = { type: 'keyword', norms: false } as const;

export interface TemplateRequest {
  type: TemplateType;
  /** `{prefix}{delim}{type}_template` */
  name: string;
  /** `/_template/{name}` or `/_index_template/{name}` */
  path: string;
  querystring: Record<string, string>;
  composable: boolean;
  /** The pattern the template must cover: `{prefix}{delim}{type}-*`. */
  pattern: string;
  body: Json;
}

export function useComposable(version: SearchVersion, priority: number | undefined): boolean {
  if (priority === undefined) return false;
  if (version.distribution === 'opensearch') return true;
  return version.major > 7 || (version.major === 7 && version.minor >= 8);
}

function settings(opts: TemplateOptions, type: TemplateType): Json {
  const s: Json = {
    'index.number_of_shards': opts.shards,
    'index.number_of_replicas': opts.replicas,
    'index.requests.cache.enable': true,
  };
  if (type === 'span' && !opts.strictTraceId) {
    s.analysis = {
      analyzer: { traceId_analyzer: { type: 'custom', tokenizer: 'keyword', filter: 'traceId_filter' } },
      filter: { traceId_filter: { type: 'pattern_capture', patterns: ['([0-9a-f]{1,16})$'], preserve_original: true } },
    };
  }
  return s;
}

function spanMappings(opts: TemplateOptions): Json {
  // Zipkin sends fielddata as the string "true"; kept so the stored template matches its own.
  const traceId = opts.strictTraceId ? { ...KEYWORD } : { type: 'text', fielddata: 'true', analyzer: 'traceId_analyzer' };
  if (!opts.searchEnabled) {
    return { properties: { traceId, annotations: { enabled: false }, tags: { enabled: false } } };
  }
  return {
    _source: { excludes: ['_q'] },
    dynamic_templates: [
      { strings: { mapping: { type: 'keyword', norms: false, ignore_above: 256 }, match_mapping_type: 'string', match: '*' } },
    ],
    properties: {
      traceId,
      name: { ...KEYWORD },
      localEndpoint: { type: 'object', dynamic: false, properties: { serviceName: { ...KEYWORD } } },
      remoteEndpoint: { type: 'object', dynamic: false, properties: { serviceName: { ...KEYWORD } } },
      timestamp_millis: { type: 'date', format: 'epoch_millis' },
      duration: { type: 'long' },
      annotations: { enabled: false },
      tags: { enabled: false },
      _q: { ...KEYWORD },
    },
  };
}

function mappingsFor(type: TemplateType, opts: TemplateOptions): Json {
  if (type === 'span') return spanMappings(opts);
  if (type === 'dependency') return { enabled: false };
  return { enabled: true, properties: { tagKey: { ...KEYWORD }, tagValue: { ...KEYWORD } } };
}

/** The template body Zipkin would PUT for `type` on `version`. */
export function templateBody(type: TemplateType, version: SearchVersion, opts: TemplateOptions): Json {
  const pattern = opts.index + version.delimiter + type + '-*';
  const inner = mappingsFor(type, opts);
  const mappings = version.distribution === 'elasticsearch' && version.major < 7 ? { [type]: inner } : inner;
  if (useComposable(version, opts.priority)) {
    return { index_patterns: pattern, template: { settings: settings(opts, type), mappings }, priority: opts.priority };
  }
  const patternKey = version.distribution === 'elasticsearch' && version.major < 6 ? 'template' : 'index_patterns';
  return { [patternKey]: pattern, settings: settings(opts, type), mappings };
}

export function templateRequest(type: TemplateType, version: SearchVersion, opts: TemplateOptions): TemplateRequest {
  const name = opts.index + version.delimiter + type + '_template';
  const composable = useComposable(version, opts.priority);
  const querystring: Record<string, string> = {};
  if (!composable && version.distribution === 'elasticsearch' && version.major === 6 && version.minor >= 7)
    querystring.include_type_name = 'true';
  return {
    type,
    name,
    // Unencoded like Zipkin (`zipkin:span_template` on ES 6); index-name rules exclude URL-breaking characters.
    path: (composable ? '/_index_template/' : '/_template/') + name,
    querystring,
    composable,
    pattern: opts.index + version.delimiter + type + '-*',
    body: templateBody(type, version, opts),
  };
}

const CHECKS: Record<TemplateType, (mappings: unknown, opts: MappingCheckOptions) => string[]> = {
  span: checkSpanMappings,
  dependency: checkDependencyMappings,
  autocomplete: checkAutocompleteMappings,
};

export interface EnsureResult {
  templates: { type: TemplateType; name: string; path: string; created: boolean }[];
  /** Problems that do not stop writing but the operator should fix (e.g. #2388 indices). */
  warnings: string[];
}

interface Answer {
  status: number;
  body: unknown;
}

async function call(client: Client, method: string, path: string, querystring: Record<string, string>, body?: Json): Promise<Answer> {
  try {
    const res = await client.transport.request(
      { method, path, querystring, ...(body === undefined ? {} : { body }) },
      { meta: true, ignore: method === 'GET' ? [404] : [] },
    );
    return { status: res.statusCode, body: res.body };
  } catch (err) {
    const meta = (err as { meta?: { statusCode?: number; body?: unknown } }).meta;
    if (typeof meta?.statusCode === 'number') return { status: meta.statusCode, body: meta.body };
    const what = err instanceof Error ? err.message : String(err);
    throw new TracefoldError('TF_SEARCH_UNREACHABLE', `${method} ${path} failed: ${what}`, {}, { cause: err });
  }
}

function fail(req: TemplateRequest, what: string, answer: Answer): never {
  const body = JSON.stringify(answer.body)?.slice(0, 300);
  throw new TracefoldError('TF_SEARCH_TEMPLATE', `${what} index template ${req.name} (${req.path}): HTTP ${answer.status} ${body}`);
}

/** The installed template's pattern(s) and mappings, whatever the GET shape of this version. */
function installed(req: TemplateRequest, body: unknown): { patterns: string[]; mappings: unknown; composedOf: string[] } | undefined {
  let t: unknown;
  if (req.composable) {
    const list = (body as { index_templates?: { name?: string; index_template?: unknown }[] } | null)?.index_templates;
    const found = list?.find((x) => x.name === req.name)?.index_template as Json | undefined;
    if (found === undefined) return undefined;
    const template = found.template as Json | undefined;
    t = { index_patterns: found.index_patterns, mappings: template?.mappings, composed_of: found.composed_of };
  } else {
    t = (body as Json | null)?.[req.name];
  }
  if (typeof t !== 'object' || t === null) return undefined;
  const { index_patterns, template, mappings, composed_of } = t as Json;
  const raw = index_patterns ?? template;
  const patterns = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw.filter((p): p is string => typeof p === 'string') : [];
  const composedOf = Array.isArray(composed_of) ? composed_of.filter((p): p is string => typeof p === 'string') : [];
  return { patterns, mappings, composedOf };
}

/**
 * Installs (GET, PUT on 404) and verifies Zipkin's three templates. Throws TF_SEARCH_TEMPLATE
 * naming the template and every mismatching field when an installed template would break
 * Zipkin's reader; returns warnings for existing day indices that already carry a bad mapping.
 */
export async function ensureTemplates(
  client: Client,
  version: SearchVersion,
  opts: TemplateOptions,
  nowMs: number = Date.now(),
): Promise<EnsureResult> {
  const check: MappingCheckOptions = { searchEnabled: opts.searchEnabled, strictTraceId: opts.strictTraceId };
  const today = formatDay(nowMs, opts.dateSeparator);
  const result: EnsureResult = { templates: [], warnings: [] };

  for (const type of TEMPLATE_TYPES) {
    const req = templateRequest(type, version, opts);
    let got = await call(client, 'GET', req.path, req.querystring);
    let created = false;
    if (got.status === 404) {
      const put = await call(client, 'PUT', req.path, req.querystring, req.body);
      if (put.status < 200 || put.status >= 300) fail(req, 'cannot create', put);
      created = true;
      got = await call(client, 'GET', req.path, req.querystring);
    }
    if (got.status < 200 || got.status >= 300) fail(req, 'cannot read', got);
    const t = installed(req, got.body);
    if (t === undefined) fail(req, 'unexpected answer reading', got);

    const sampleIndex = indexName(opts.index, version.delimiter, type, today);
    const problems: string[] = [];
    if (!t.patterns.some((p) => patternMatches(p, sampleIndex))) {
      problems.push(`its index pattern ${JSON.stringify(t.patterns)} does not match ${sampleIndex} (expected ${req.pattern})`);
    }
    // Component templates can supply the mappings of a composable template: judge the resolved one.
    const mappings =
      req.composable && t.composedOf.length > 0
        ? ((await simulatedMappings(client, `/_index_template/_simulate/${encodeURIComponent(req.name)}`)) ?? t.mappings)
        : t.mappings;
    problems.push(...CHECKS[type](mappings, check));
    if (problems.length > 0) {
      throw new TracefoldError(
        'TF_SEARCH_TEMPLATE',
        `index template ${req.name} (${req.path}) is not compatible with Zipkin's reader: ${problems.join('; ')}. ` +
          `Delete it (DELETE ${req.path}) so tracefold installs Zipkin's, or fix it.`,
      );
    }

    // What a new day index really gets: another composable template may win over ours.
    const effective = await simulatedMappings(client, `/_index_template/_simulate_index/${encodeURIComponent(sampleIndex)}`);
    if (effective !== undefined) {
      const overridden = CHECKS[type](effective, check);
      if (overridden.length > 0) {
        throw new TracefoldError(
          'TF_SEARCH_TEMPLATE',
          `a new index ${sampleIndex} would not get Zipkin's mappings (another index template with a higher priority matches it): ` +
            `${overridden.join('; ')}. See GET /_index_template and POST /_index_template/_simulate_index/${sampleIndex}.`,
        );
      }
    }

    // openzipkin/zipkin#2388: a day index created before the template keeps its dynamic mapping.
    if (type !== 'dependency') {
      const idx = await call(client, 'GET', `/${encodeURIComponent(sampleIndex)}/_mapping`, {});
      if (idx.status >= 200 && idx.status < 300) {
        const entry = Object.values((idx.body as Json | null) ?? {})[0] as Json | undefined;
        const bad = CHECKS[type](entry?.mappings, check);
        if (bad.length > 0) {
          result.warnings.push(
            `index ${sampleIndex} already exists with a mapping Zipkin cannot query (${bad.join('; ')}); it was probably created before the template ` +
              `(openzipkin/zipkin#2388). Searches and service/span name lists fail for that day until it is deleted or reindexed.`,
          );
        }
      }
    }
    result.templates.push({ type, name: req.name, path: req.path, created });
  }
  return result;
}

/** Mappings from a simulate API; undefined when the engine lacks it or nothing composable matches. */
async function simulatedMappings(client: Client, path: string): Promise<Json | undefined> {
  let answer: Answer;
  try {
    answer = await call(client, 'POST', path, {});
  } catch {
    return undefined;
  }
  if (answer.status < 200 || answer.status >= 300) return undefined;
  const mappings = typelessMappings((answer.body as { template?: { mappings?: unknown } } | null)?.template?.mappings);
  if (mappings === undefined || Object.keys(mappings).length === 0) return undefined;
  return mappings;
}

/**
 * Creates today's span index (UTC) when it does not exist yet, after `ensureTemplates` so it gets
 * Zipkin's mappings. A live node's first write then goes to an index that exists: auto-creating it
 * in the first `_bulk` request made that request about 0.15 s slower here (0.19–0.23 s against
 * 0.07 s for 2,000 documents) while the workers waited. Best effort: a user allowed to write but not
 * to create indices gets the index from the first write, as before; the answer says why not.
 */
export async function createTodaysSpanIndex(
  client: Client,
  version: SearchVersion,
  opts: Pick<TemplateOptions, 'index' | 'dateSeparator'>,
  nowMs: number = Date.now(),
): Promise<{ index: string; created: boolean; error?: string }> {
  const index = indexName(opts.index, version.delimiter, 'span', formatDay(nowMs, opts.dateSeparator));
  let answer: Answer;
  try {
    answer = await call(client, 'PUT', `/${encodeURIComponent(index)}`, {});
  } catch (err) {
    return { index, created: false, error: err instanceof Error ? err.message : String(err) };
  }
  if (answer.status >= 200 && answer.status < 300) return { index, created: true };
  const type = (answer.body as { error?: { type?: string } } | null)?.error?.type;
  if (type === 'resource_already_exists_exception' || type === 'index_already_exists_exception') return { index, created: false };
  return { index, created: false, error: `HTTP ${answer.status} ${JSON.stringify(answer.body)?.slice(0, 300)}` };
}
