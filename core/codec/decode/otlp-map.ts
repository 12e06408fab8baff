/**
 * OTLP → Zipkin v2 mapping shared by the OTLP protobuf and JSON decoders, per the OpenTelemetry
 * specification's Zipkin transformation (otel-to-zipkin.md) and, where it leaves room, exactly as
 * the OpenTelemetry Python SDK's Zipkin exporter renders it (the oracle of the acceptance test):
 *  - tags: span attributes, then resource attributes (service.name included), then
 *    otel.scope.name/version (and the legacy otel.library.name/version), otel.status_code and
 *    `error` (the status description, '' if none) for ERROR, otel.dropped_*_count when > 0;
 *  - values: bool → true/false, int → decimal, double → Python's repr ("1.0", "1e+16"),
 *    array → compact JSON list of the element strings;
 *  - events → annotations `{"name": {attributes}}` as Python's json.dumps(sort_keys=True) writes it;
 *  - times: nanoseconds rounded half up to microseconds, duration rounded on its own;
 *  - service name: resource service.name, else the SDK default resource's "unknown_service";
 *  - remote endpoint (CLIENT and PRODUCER spans): the first attribute of the spec's ranking.
 * Deliberately not mapped: links and trace state (the spec leaves them TBD) and the sampled flag
 * (the Python exporter's `debug`: in Zipkin debug means force-sampled, which an OTLP span is not).
 */
import { endpointOf } from '../../model/normalize.js';
import type { Endpoint, Kind } from '../../model/span.js';

/** An OTLP AnyValue: int64 as bigint so 1 (int) and 1.0 (double) stay distinct; null when empty. */
export type OtlpValue = string | boolean | bigint | number | Uint8Array | OtlpValue[] | OtlpKvList | null;

export interface OtlpKvList {
  kv: [string, OtlpValue][];
}

/** OTLP SpanKind number → Zipkin kind; INTERNAL and UNSPECIFIED map to none. */
export const OTLP_KINDS: readonly (Kind | undefined)[] = [undefined, undefined, 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];

export const DEFAULT_SERVICE = 'unknown_service';

function isKvList(v: OtlpValue): v is OtlpKvList {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/** Python's repr(float), which is what str() and json.dumps give for a double. */
export function pyFloat(x: number, json: boolean): string {
  if (Number.isNaN(x)) return json ? 'NaN' : 'nan';
  if (!Number.isFinite(x)) return x > 0 ? (json ? 'Infinity' : 'inf') : json ? '-Infinity' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  const e = Math.abs(x).toExponential(); // shortest round-trip digits, as Python's repr uses
  const at = e.indexOf('e');
  const digits = e.slice(0, at).replace('.', '');
  const exp = Number(e.slice(at + 1));
  if (exp >= -4 && exp < 16) {
    if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
    const int = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
    const frac = digits.slice(exp + 1);
    return `${sign}${int}.${frac === '' ? '0' : frac}`;
  }
  const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const ee = Math.abs(exp);
  return `${sign}${mant}e${exp < 0 ? '-' : '+'}${ee < 10 ? `0${ee}` : ee}`;
}

const NON_ASCII = /[\u0080-\uffff]/g;

/** json.dumps of a string with ensure_ascii (Python's default). */
export function pyString(s: string): string {
  const j = JSON.stringify(s);
  return NON_ASCII.test(j) ? j.replace(NON_ASCII, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : j;
}

/** Python's json.dumps(v, sort_keys=True) with the given separators. */
export function pyJson(v: OtlpValue, item: string, key: string): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return pyString(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      return v.toString();
    case 'number':
      return pyFloat(v, true);
  }
  if (v instanceof Uint8Array) return pyString(Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64'));
  if (Array.isArray(v)) return `[${v.map((e) => pyJson(e, item, key)).join(item)}]`;
  const entries = v.kv.slice().sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return `{${entries.map(([k, e]) => `${pyString(k)}${key}${pyJson(e, item, key)}`).join(item)}}`;
}

/** A tag value as the Python exporter renders it; undefined when it cannot be rendered (skipped). */
export function tagValue(v: OtlpValue): string | undefined {
  switch (typeof v) {
    case 'string':
      return v;
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      return v.toString();
    case 'number':
      return pyFloat(v, false);
  }
  if (v === null) return undefined;
  if (Array.isArray(v)) {
    const parts: string[] = [];
    for (const e of v) {
      if (e === null) parts.push('null');
      else if (typeof e === 'object')
        continue; // nested arrays/maps: skipped, as the exporter does
      else parts.push(pyString(tagValue(e) as string));
    }
    return `[${parts.join(',')}]`;
  }
  // Not producible by the Python SDK: maps as compact JSON, bytes as base64 (as the Collector does).
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  if (isKvList(v)) return pyJson(v, ',', ':');
  return undefined;
}

/** An event as the annotation value the exporter writes: `{"name": {attrs}}`, sorted keys. */
export function eventValue(name: string, attrs: OtlpKvList | undefined): string {
  return `{${pyString(name)}: ${pyJson(attrs ?? { kv: [] }, ', ', ': ')}}`;
}

/** Nanoseconds given as two unsigned 32-bit halves → microseconds, rounded half up, exactly. */
export function nanosToMicros(hi: number, lo: number): number {
  // hi·2^32/1000 = hi·4294967 + hi·296/1000: every intermediate stays below 2^53.
  return hi * 4294967 + Math.floor((hi * 296 + lo + 500) / 1000);
}

/** Decimal nanoseconds (OTLP JSON) → microseconds rounded half up; NaN when not a decimal. */
export function decimalNanosToMicros(s: string): number {
  if (!/^\d{1,20}$/.test(s)) return Number.NaN;
  if (s.length <= 3) return Number(s) >= 500 ? 1 : 0;
  return Number(s.slice(0, -3)) + ((s.charCodeAt(s.length - 3) as number) >= 53 ? 1 : 0);
}

const REMOTE_RANKS: readonly (readonly [string, string | undefined])[] = [
  ['peer.service', undefined],
  ['server.address', 'server.port'],
  ['net.peer.name', 'net.peer.port'],
  ['network.peer.address', 'network.peer.port'],
  ['server.socket.domain', undefined],
  ['server.socket.address', 'server.socket.port'],
  ['net.sock.peer.name', undefined],
  ['net.sock.peer.addr', 'net.sock.peer.port'],
  ['peer.hostname', undefined],
  ['peer.address', undefined],
  ['db.name', undefined],
];

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * The remote endpoint from a CLIENT/PRODUCER span's attribute tags: the highest-ranked attribute
 * present; an IP literal fills the address (with its paired port), anything else the service name.
 */
export function remoteEndpoint(kind: Kind | undefined, tags: Record<string, string> | undefined): Endpoint | undefined {
  if (tags === undefined || (kind !== 'CLIENT' && kind !== 'PRODUCER')) return undefined;
  for (const [key, portKey] of REMOTE_RANKS) {
    const v = tags[key];
    if (v === undefined || v === '') continue;
    if (key === 'peer.service') return endpointOf(v, undefined, undefined, undefined);
    const port = portKey === undefined ? undefined : Number(tags[portKey]);
    const p = port !== undefined && Number.isInteger(port) ? port : undefined;
    if (IPV4.test(v)) return endpointOf(undefined, v, undefined, p);
    if (v.includes(':')) return endpointOf(undefined, undefined, v.startsWith('[') && v.endsWith(']') ? v.slice(1, -1) : v, p);
    return endpointOf(v, undefined, undefined, p);
  }
  return undefined;
}

/** The tags every span of one resource and scope shares, rendered once. */
export interface SpanContextTags {
  serviceName: string;
  /** Resource attributes, then scope tags, in the order they override span attributes. */
  shared: [string, string][];
}

export function contextTags(resource: OtlpKvList | undefined, scopeName: string, scopeVersion: string): SpanContextTags {
  const shared: [string, string][] = [];
  let serviceName = DEFAULT_SERVICE;
  if (resource !== undefined) {
    for (const [k, v] of resource.kv) {
      const t = tagValue(v);
      if (t === undefined) continue;
      if (k === 'service.name' && typeof v === 'string' && v !== '') serviceName = v;
      shared.push([k, t]);
    }
  }
  if (scopeName !== '') {
    // The exporter writes the version even when the scope has none (null, which Zipkin reads as '').
    shared.push(['otel.library.name', scopeName], ['otel.scope.name', scopeName]);
    shared.push(['otel.library.version', scopeVersion], ['otel.scope.version', scopeVersion]);
  }
  return { serviceName, shared };
}

/**
 * Adds the resource/scope tags, status and dropped counts to a span's attribute tags (created if
 * absent), in the exporter's override order.
 */
export function finishTags(
  tags: Record<string, string> | undefined,
  ctx: SpanContextTags,
  statusCode: number,
  statusMessage: string,
  droppedAttributes: number,
  droppedEvents: number,
  droppedLinks: number,
): Record<string, string> | undefined {
  const out = tags ?? {};
  const set = (k: string, v: string): void => {
    if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    else out[k] = v;
  };
  const shared = ctx.shared;
  for (let i = 0; i < shared.length; i++) {
    const kv = shared[i] as [string, string];
    set(kv[0], kv[1]);
  }
  if (statusCode === 1) set('otel.status_code', 'OK');
  else if (statusCode === 2) {
    set('otel.status_code', 'ERROR');
    set('error', statusMessage);
  }
  if (droppedAttributes > 0) set('otel.dropped_attributes_count', String(droppedAttributes));
  if (droppedEvents > 0) set('otel.dropped_events_count', String(droppedEvents));
  if (droppedLinks > 0) set('otel.dropped_links_count', String(droppedLinks));
  for (const _ in out) return out;
  return undefined;
}
