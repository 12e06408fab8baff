/**
 * OTLP JSON decoder: an `ExportTraceServiceRequest` in the OTLP/JSON encoding (OTLP/HTTP with
 * `application/json`, the Collector's Kafka exporter with `otlp_json`): lowerCamelCase field
 * names, trace/span IDs as hex strings, 64-bit integers as decimal strings or numbers, enums as
 * numbers (their names are accepted too). Mapped by otlp-map.ts like the protobuf form.
 * Salvage: a span that is not an object, or lacks usable IDs, costs that span only.
 */
import { endpointOf, isNormalizeFailure, normalizeSpan, type RawSpan } from '../../model/normalize.js';
import type { Annotation, DecodeErrorCode, DecodeResult, Kind, Span } from '../../model/span.js';
import { setTag } from './bytes.js';
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_ERRORS, type DecodeOptions, messageError, SpanErrors } from './limits.js';
import {
  contextTags,
  DEFAULT_SERVICE,
  decimalNanosToMicros,
  eventValue,
  finishTags,
  OTLP_KINDS,
  type OtlpKvList,
  type OtlpValue,
  remoteEndpoint,
  type SpanContextTags,
  tagValue,
} from './otlp-map.js';
import { OTLP_ENUMS, type OtlpJson, type OtlpMessage } from './otlp-schema.js';

const ENCODING = 'otlp-json';
const KIND_NAMES = OTLP_ENUMS['Span.SpanKind'];
const STATUS_NAMES = OTLP_ENUMS['Status.StatusCode'];

/** Pre-1.0 OTLP/JSON names (instrumentation library, renamed scope) that exporters still send. */
interface LegacyResourceSpans {
  readonly instrumentationLibrarySpans?: unknown;
}
interface LegacyScopeSpans {
  readonly instrumentationLibrary?: unknown;
}

/**
 * `v` as the OTLP/JSON object of message M: typed so that the decoder reads only the JSON names of
 * otlp-schema.ts (checked against the official descriptors), plus the legacy names X.
 */
function obj<M extends OtlpMessage, X extends object = Record<never, never>>(v: unknown): (OtlpJson<M> & X) | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as OtlpJson<M> & X) : undefined;
}

function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function uint(v: unknown): number {
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : 0;
}

function enumOf(v: unknown, names: readonly string[]): number {
  if (typeof v === 'number') return v;
  return typeof v === 'string' ? names.indexOf(v) : -1;
}

function micros(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? Math.floor((v + 500) / 1000) : undefined;
  if (typeof v !== 'string') return undefined;
  const m = decimalNanosToMicros(v);
  return Number.isNaN(m) ? undefined : m;
}

export function decodeOtlpJson(bytes: Uint8Array, options?: DecodeOptions): DecodeResult {
  const maxBytes = options?.maxBytes ?? DEFAULT_MAX_BYTES;
  const n = bytes.length;
  if (n > maxBytes) return failed('too_large', `message of ${n} bytes exceeds the ${maxBytes}-byte limit`);
  if (n === 0) return failed('empty', 'empty message');
  let root: unknown;
  try {
    root = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (err) {
    return failed('malformed', `not valid JSON: ${(err as Error).message}`);
  }
  const req = obj<'ExportTraceServiceRequest'>(root);
  if (req === undefined || !Array.isArray(req.resourceSpans))
    return failed('not_a_list', 'expected an ExportTraceServiceRequest object with a resourceSpans array');
  const errors = new SpanErrors(ENCODING, options?.maxErrors ?? DEFAULT_MAX_ERRORS);
  const spans: Span[] = [];
  let index = 0;
  for (const rsv of req.resourceSpans as unknown[]) {
    const rs = obj<'ResourceSpans', LegacyResourceSpans>(rsv);
    if (rs === undefined) continue;
    const resource = kvList(obj<'Resource'>(rs.resource)?.attributes);
    for (const ssv of arr(rs.scopeSpans ?? rs.instrumentationLibrarySpans)) {
      const ss = obj<'ScopeSpans', LegacyScopeSpans>(ssv);
      if (ss === undefined) continue;
      const scope = obj<'InstrumentationScope'>(ss.scope ?? ss.instrumentationLibrary);
      const ctx = contextTags(resource, str(scope?.name), str(scope?.version));
      for (const sv of arr(ss.spans)) {
        const i = index++;
        const s = obj<'Span'>(sv);
        if (s === undefined) {
          errors.add(i, 0, 'invalid_field', `span ${i}: not a JSON object`);
          continue;
        }
        const raw = span(s, ctx);
        if (typeof raw === 'string') {
          errors.add(i, 0, 'invalid_id', `span ${i}: ${raw}`);
          continue;
        }
        const out = normalizeSpan(raw);
        if (isNormalizeFailure(out)) errors.add(i, 0, out.code, `span ${i}: ${out.reason}`);
        else spans.push(out);
      }
    }
  }
  return { encoding: ENCODING, spans, errors: errors.finish() };
}

function failed(code: DecodeErrorCode, reason: string): DecodeResult {
  return { encoding: ENCODING, spans: [], errors: [messageError(ENCODING, code, 0, reason)] };
}

function kvList(v: unknown): OtlpKvList | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: OtlpKvList = { kv: [] };
  for (const e of v) {
    const kv = obj<'KeyValue'>(e);
    if (kv !== undefined && typeof kv.key === 'string') out.kv.push([kv.key, anyValue(kv.value)]);
  }
  return out;
}

function anyValue(v: unknown): OtlpValue {
  const o = obj<'AnyValue'>(v);
  if (o === undefined) return null;
  if (typeof o.stringValue === 'string') return o.stringValue;
  if (typeof o.boolValue === 'boolean') return o.boolValue;
  if (o.intValue !== undefined) {
    const i = o.intValue;
    if (typeof i === 'number' && Number.isInteger(i)) return BigInt(i);
    if (typeof i === 'string' && /^-?\d{1,20}$/.test(i)) return BigInt.asIntN(64, BigInt(i));
    return null;
  }
  if (o.doubleValue !== undefined) {
    const d = o.doubleValue;
    if (typeof d === 'number') return d;
    if (d === 'NaN') return Number.NaN;
    if (d === 'Infinity') return Number.POSITIVE_INFINITY;
    if (d === '-Infinity') return Number.NEGATIVE_INFINITY;
    return typeof d === 'string' && d !== '' && !Number.isNaN(Number(d)) ? Number(d) : null;
  }
  if (o.arrayValue !== undefined) return arr(obj<'ArrayValue'>(o.arrayValue)?.values).map(anyValue);
  if (o.kvlistValue !== undefined) return kvList(obj<'KeyValueList'>(o.kvlistValue)?.values) ?? { kv: [] };
  if (typeof o.bytesValue === 'string') return new Uint8Array(Buffer.from(o.bytesValue, 'base64'));
  return null;
}

function hexId(v: unknown, bytes: number, field: string): string | undefined {
  if (v === undefined || v === '') return '';
  if (typeof v !== 'string' || v.length !== bytes * 2 || !/^[0-9a-fA-F]+$/.test(v))
    return `${field} ${JSON.stringify(v).slice(0, 40)} is not ${bytes * 2} hex digits`;
  return undefined;
}

/** The span, or the reason its IDs are unusable. */
function span(s: OtlpJson<'Span'>, ctx: SpanContextTags): RawSpan | string {
  const bad = hexId(s.traceId, 16, 'traceId') ?? hexId(s.spanId, 8, 'spanId') ?? hexId(s.parentSpanId, 8, 'parentSpanId');
  if (bad !== undefined && bad !== '') return bad;
  const k = enumOf(s.kind, KIND_NAMES);
  const kind: Kind | undefined = k >= 0 && k < OTLP_KINDS.length ? OTLP_KINDS[k] : undefined;
  let tags: Record<string, string> | undefined;
  for (const [key, v] of kvList(s.attributes)?.kv ?? []) {
    const t = tagValue(v);
    if (t === undefined) continue;
    if (tags === undefined) tags = {};
    setTag(tags, key, t);
  }
  let annotations: Annotation[] | undefined;
  for (const ev of arr(s.events)) {
    const e = obj<'Span.Event'>(ev);
    if (e === undefined) continue;
    const a: Annotation = { timestamp: micros(e.timeUnixNano) ?? 0, value: eventValue(str(e.name), kvList(e.attributes)) };
    if (annotations === undefined) annotations = [a];
    else annotations.push(a);
  }
  const status = obj<'Status'>(s.status);
  const remote = remoteEndpoint(kind, tags);
  tags = finishTags(
    tags,
    ctx,
    enumOf(status?.code, STATUS_NAMES),
    str(status?.message),
    uint(s.droppedAttributesCount),
    uint(s.droppedEventsCount),
    uint(s.droppedLinksCount),
  );
  const start = micros(s.startTimeUnixNano);
  const d = start === undefined ? undefined : durationMicros(s.startTimeUnixNano, s.endTimeUnixNano);
  // The fixed shape every decoder hands normalizeSpan (see RawSpan): one hidden class for all.
  const raw: RawSpan = {
    traceId: str(s.traceId) || undefined,
    parentId: str(s.parentSpanId) || undefined,
    id: str(s.spanId) || undefined,
    kind,
    name: str(s.name),
    timestamp: start,
    duration: d !== undefined && d > 0 ? d : undefined,
    localEndpoint: endpointOf(ctx.serviceName || DEFAULT_SERVICE, undefined, undefined, undefined),
    remoteEndpoint: remote,
    annotations,
    tags,
    debug: undefined,
    shared: undefined,
  };
  return raw;
}

/** end − start in ns, rounded to µs on its own as the exporter does; exact via BigInt. */
function durationMicros(start: unknown, end: unknown): number | undefined {
  const toBig = (v: unknown): bigint | undefined =>
    typeof v === 'string' && /^\d{1,20}$/.test(v) ? BigInt(v) : typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : undefined;
  const a = toBig(start);
  const b = toBig(end);
  if (a === undefined || b === undefined || b <= a) return undefined;
  return Number((b - a + 500n) / 1000n);
}
