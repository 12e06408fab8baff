/**
 * Does a mapping (from an installed template, a simulated index or an existing index) give the
 * fields Zipkin's reader queries the types its queries need? (zipkin-formats.md B.3, B.7)
 *
 * The reader sends `term` queries on traceId, name, localEndpoint/remoteEndpoint.serviceName and
 * `_q`, `range` on timestamp_millis and duration, and `terms` aggregations on traceId, name and
 * serviceName. On a `text` field (what dynamic mapping makes of strings) the aggregations fail
 * with "Fielddata is disabled on text fields" (openzipkin/zipkin#2388) and terms stop matching.
 * Each check returns human-readable problems; an empty list means compatible.
 */

export interface MappingCheckOptions {
  searchEnabled: boolean;
  strictTraceId: boolean;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function at(obj: unknown, ...path: string[]): unknown {
  let cur = obj;
  for (const key of path) {
    if (!isObject(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}

/**
 * ES < 7 nests mappings under the type name (`{"span": {...}}`); unwrap that so one checker
 * serves every version.
 */
export function typelessMappings(mappings: unknown): Json | undefined {
  if (!isObject(mappings)) return undefined;
  if ('properties' in mappings || 'enabled' in mappings || 'dynamic_templates' in mappings) return mappings;
  const keys = Object.keys(mappings).filter((k) => !k.startsWith('_'));
  if (keys.length === 1) {
    const inner = mappings[keys[0] as string];
    if (isObject(inner)) return inner;
  }
  return mappings;
}

function describeField(m: unknown): string {
  if (m === undefined) return 'not mapped (dynamic mapping would make it text)';
  if (!isObject(m)) return JSON.stringify(m);
  const type = m.type ?? (m.properties !== undefined ? 'object' : undefined);
  return type === undefined ? JSON.stringify(m) : `type ${String(type)}`;
}

function isFalse(v: unknown): boolean {
  return v === false || v === 'false';
}

function expectKeyword(problems: string[], props: unknown, path: string[]): void {
  const field = at(props, ...path.flatMap((p, i) => (i === 0 ? [p] : ['properties', p])));
  if (at(field, 'type') !== 'keyword') problems.push(`${path.join('.')} is ${describeField(field)}, expected keyword`);
}

export function checkSpanMappings(mappings: unknown, opts: MappingCheckOptions): string[] {
  const m = typelessMappings(mappings);
  if (m === undefined) return ['no mappings'];
  const props = m.properties;
  const problems: string[] = [];
  const traceId = at(props, 'traceId');
  const traceIdType = at(traceId, 'type');
  const analyzed = traceIdType === 'text' && at(traceId, 'analyzer') === 'traceId_analyzer';
  // A strict reader matches the full ID, which both variants index; a lenient one needs the analyzer.
  if (opts.strictTraceId ? traceIdType !== 'keyword' && !analyzed : !analyzed) {
    problems.push(
      `traceId is ${describeField(traceId)}, expected ${opts.strictTraceId ? 'keyword' : 'text with analyzer traceId_analyzer (STRICT_TRACE_ID=false)'}`,
    );
  }
  for (const field of ['annotations', 'tags']) {
    const f = at(props, field);
    if (!isFalse(at(f, 'enabled'))) problems.push(`${field} is ${describeField(f)}, expected {"enabled": false}`);
  }
  if (!opts.searchEnabled) return problems;
  const ts = at(props, 'timestamp_millis');
  const format = at(ts, 'format');
  if (at(ts, 'type') !== 'date' || typeof format !== 'string' || !format.split('||').includes('epoch_millis')) {
    problems.push(
      `timestamp_millis is ${describeField(ts)}${typeof format === 'string' ? ` (format ${format})` : ''}, expected date with format epoch_millis`,
    );
  }
  expectKeyword(problems, props, ['_q']);
  expectKeyword(problems, props, ['name']);
  expectKeyword(problems, props, ['localEndpoint', 'serviceName']);
  expectKeyword(problems, props, ['remoteEndpoint', 'serviceName']);
  const duration = at(props, 'duration');
  if (at(duration, 'type') !== 'long') problems.push(`duration is ${describeField(duration)}, expected long`);
  return problems;
}

export function checkAutocompleteMappings(mappings: unknown, opts: MappingCheckOptions): string[] {
  if (!opts.searchEnabled) return [];
  const m = typelessMappings(mappings);
  if (m === undefined) return ['no mappings'];
  const problems: string[] = [];
  expectKeyword(problems, m.properties, ['tagKey']);
  expectKeyword(problems, m.properties, ['tagValue']);
  return problems;
}

/** Dependency documents are only fetched, never queried by field: nothing the reader depends on. */
export function checkDependencyMappings(_mappings: unknown, _opts: MappingCheckOptions): string[] {
  return [];
}

/** Glob match of an index pattern (`*` only, as in index templates). */
export function patternMatches(pattern: string, index: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return re.test(index);
}
