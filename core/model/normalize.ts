/**
 * Zipkin's span normalisation (zipkin2/Span.java, Endpoint.java), applied by every decoder so
 * that index term queries written by tracefold match what Zipkin's reader asks for.
 * More forgiving than Zipkin where a repair is unambiguous: upper-case hex is lower-cased,
 * an all-zero parentId means "root", an invalid port or IP is dropped instead of failing the span.
 */
import { isIpv4 } from './ipv4.js';
import type { Annotation, Endpoint, Kind, Span } from './span.js';

/** A span as a decoder assembled it: the right JS types, not yet normalised (any field may be missing, kind is any text). */
export type RawSpan = Omit<Partial<Span>, 'kind'> & { kind?: string };

export interface NormalizeFailure {
  code: 'missing_field' | 'invalid_id';
  reason: string;
}

/**
 * Every span a decoder makes has all thirteen keys, in document order, an absent field being
 * `undefined`; every endpoint all four. One literal each, so all spans share one hidden class and
 * all endpoints another. Built key by key instead, the spans of the shared traces came in 17 key
 * sets, and every stage reading them (document encoding, routing, checks) ran megamorphic loads:
 * the pipeline took 8.23 µs of CPU a span against 7.60 with one shape (1 worker, bench/against.ts).
 * An absent field is therefore `=== undefined`, never "not `in`", and is cleared by assigning
 * `undefined`, never `delete` (which would turn the span into a dictionary).
 */
export function spanOf(
  traceId: string,
  parentId: string | undefined,
  id: string,
  kind: Kind | undefined,
  name: string | undefined,
  timestamp: number | undefined,
  duration: number | undefined,
  localEndpoint: Endpoint | undefined,
  remoteEndpoint: Endpoint | undefined,
  annotations: Annotation[] | undefined,
  tags: Record<string, string> | undefined,
  debug: true | undefined,
  shared: true | undefined,
): Span {
  return { traceId, parentId, id, kind, name, timestamp, duration, localEndpoint, remoteEndpoint, annotations, tags, debug, shared };
}

/** An endpoint with all four keys (see `spanOf`). */
export function endpointOf(
  serviceName: string | undefined,
  ipv4: string | undefined,
  ipv6: string | undefined,
  port: number | undefined,
): Endpoint {
  return { serviceName, ipv4, ipv6, port };
}

const KINDS: ReadonlySet<string> = new Set(['CLIENT', 'SERVER', 'PRODUCER', 'CONSUMER']);
const ZEROS16 = '0000000000000000';

// Per ASCII code: 1 = '0', 2 = '1'-'9' or 'a'-'f', 4 = 'A'-'F' (needs lower-casing), 0 = not hex.
// One table load per character instead of a chain of range tests (IDs are on every span).
const HEX_CLASS = new Uint8Array(128);
HEX_CLASS[48] = 1;
for (let c = 49; c <= 57; c++) HEX_CLASS[c] = 2;
for (let c = 97; c <= 102; c++) HEX_CLASS[c] = 2;
for (let c = 65; c <= 70; c++) HEX_CLASS[c] = 4;

/** Returns the lower-hex ID, null when not hex or too long, '' when all zeros. */
function normalizeHex(raw: string, maxLen: number): string | null {
  const len = raw.length;
  if (len === 0 || len > maxLen) return null;
  let seen = 0;
  for (let i = 0; i < len; i++) {
    const c = raw.charCodeAt(i);
    const k = c < 128 ? (HEX_CLASS[c] as number) : 0;
    if (k === 0) return null;
    seen |= k;
  }
  if (seen === 1) return '';
  return (seen & 4) !== 0 ? raw.toLowerCase() : raw;
}

/** Trace ID rules: ≤16 → pad to 16; 17–31 → pad to 32; 32 with a zero upper half → lower 16. */
// One-entry memo: the spans of a message mostly share one trace ID, so the check runs once per
// trace instead of once per span. Pure function of the input, so sharing it is safe.
let lastTraceIdIn = '';
let lastTraceIdOut: string | null = null;

export function normalizeTraceId(raw: string): string | null {
  if (raw === lastTraceIdIn) return lastTraceIdOut;
  const out = traceIdRules(raw);
  lastTraceIdIn = raw;
  lastTraceIdOut = out;
  return out;
}

function traceIdRules(raw: string): string | null {
  const hex = normalizeHex(raw, 32);
  if (hex === null || hex === '') return null;
  const len = hex.length;
  if (len === 16) return hex;
  if (len < 16) return ZEROS16.slice(len) + hex;
  const padded = len === 32 ? hex : ZEROS16.slice(len - 16) + hex;
  return padded.startsWith(ZEROS16) ? padded.slice(16) : padded;
}

/** Span/parent ID rules: ≤16 hex, left-padded to 16. Returns '' for all zeros. */
export function normalizeSpanId(raw: string): string | null {
  const hex = normalizeHex(raw, 16);
  if (hex === null || hex === '') return hex;
  return hex.length === 16 ? hex : ZEROS16.slice(hex.length) + hex;
}

function normalizeIpv6(raw: string): { ipv4?: string; ipv6?: string } | null {
  // Zipkin (Endpoint.detectFamily) keeps IPv6 text in its compressed lower-case form and turns the
  // dotted embedded forms ::a.b.c.d and ::ffff:a.b.c.d (or ::0000:…) into IPv4.
  const s = raw.toLowerCase();
  if (s.length > 45 || s.indexOf(':') < 0) return null;
  const embedded = /^::(?:[f0]{4}:)?(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (embedded?.[1] && isIpv4(embedded[1])) return { ipv4: embedded[1] };
  const groups = expandIpv6(s);
  if (groups === null) return null;
  return { ipv6: compressIpv6(groups) };
}

function expandIpv6(s: string): number[] | null {
  const dbl = s.indexOf('::');
  if (dbl !== s.lastIndexOf('::')) return null;
  const parse = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (!/^[0-9a-f]{1,4}$/.test(g)) return null;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  if (dbl < 0) {
    const all = parse(s);
    return all && all.length === 8 ? all : null;
  }
  const head = parse(s.slice(0, dbl));
  const tail = parse(s.slice(dbl + 2));
  if (!head || !tail || head.length + tail.length > 7) return null;
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/**
 * Zipkin's `Endpoint.writeIpV6`, quirks included, so documents match Zipkin's byte for byte: the
 * longest run of zero groups is compressed even when it is a single group (RFC 5952 would not),
 * and a trailing run only when no earlier run was found.
 */
function compressIpv6(groups: number[]): string {
  let bestStart = -1;
  let bestLen = -1;
  let runStart = -1;
  let allZeros = true;
  for (let i = 0; i < 8; i++) {
    if (groups[i] === 0) {
      if (runStart < 0) runStart = i;
      continue;
    }
    allZeros = false;
    if (runStart >= 0) {
      if (i - runStart > bestLen) {
        bestStart = runStart;
        bestLen = i - runStart;
      }
      runStart = -1;
    }
  }
  if (allZeros) return '::';
  if (bestStart === -1 && runStart !== -1) {
    bestStart = runStart;
    bestLen = 8 - runStart;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export function normalizeEndpoint(raw: Endpoint | undefined): Endpoint | undefined {
  if (raw === undefined) return undefined;
  let serviceName: string | undefined;
  let ipv4: string | undefined;
  let ipv6: string | undefined;
  let port: number | undefined;
  if (raw.serviceName) serviceName = raw.serviceName.toLowerCase();
  if (raw.ipv4) {
    if (isIpv4(raw.ipv4)) ipv4 = raw.ipv4;
    else {
      const v6 = normalizeIpv6(raw.ipv4);
      if (v6?.ipv4) ipv4 = v6.ipv4;
      else if (v6?.ipv6 && !raw.ipv6) ipv6 = v6.ipv6;
    }
  }
  if (raw.ipv6) {
    const v6 = isIpv4(raw.ipv6) ? { ipv4: raw.ipv6 } : normalizeIpv6(raw.ipv6);
    if (v6?.ipv4 && ipv4 === undefined) ipv4 = v6.ipv4;
    else if (v6?.ipv6) ipv6 = v6.ipv6;
  }
  if (raw.port !== undefined && Number.isInteger(raw.port) && raw.port > 0 && raw.port <= 0xffff) port = raw.port;
  if (serviceName === undefined && ipv4 === undefined && ipv6 === undefined && port === undefined) return undefined;
  return endpointOf(serviceName, ipv4, ipv6, port);
}

function compareAnnotations(a: Annotation, b: Annotation): number {
  if (a.timestamp !== b.timestamp) return a.timestamp - b.timestamp;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

export function normalizeAnnotations(raw: Annotation[] | undefined): Annotation[] | undefined {
  if (raw === undefined || raw.length === 0) return undefined;
  if (raw.length === 1) return raw;
  let sorted = true;
  for (let i = 1; i < raw.length; i++) {
    if (compareAnnotations(raw[i - 1] as Annotation, raw[i] as Annotation) >= 0) {
      sorted = false;
      break;
    }
  }
  if (sorted) return raw;
  const copy = raw.slice().sort(compareAnnotations);
  const out: Annotation[] = [copy[0] as Annotation];
  for (let i = 1; i < copy.length; i++) {
    const a = copy[i] as Annotation;
    if (compareAnnotations(out[out.length - 1] as Annotation, a) !== 0) out.push(a);
  }
  return out;
}

export function normalizeTags(raw: Record<string, string> | undefined): Record<string, string> | undefined {
  if (raw === undefined) return undefined;
  const keys = Object.keys(raw);
  if (keys.length === 0) return undefined;
  let sorted = true;
  for (let i = 1; i < keys.length; i++) {
    if ((keys[i - 1] as string) >= (keys[i] as string)) {
      sorted = false;
      break;
    }
  }
  // Integer-like keys ("1", "42") are always enumerated first by JS objects whatever the insertion
  // order; the ES document builder sorts its own key list, so objects stay usable either way.
  if (sorted) return raw;
  keys.sort();
  const out: Record<string, string> = {};
  for (const k of keys) {
    // A "__proto__" key (legal in JSON and in proto3 maps) would hit the Object.prototype setter
    // and silently vanish with plain assignment.
    if (k === '__proto__') Object.defineProperty(out, k, { value: raw[k], enumerable: true, writable: true, configurable: true });
    else out[k] = raw[k] as string;
  }
  return out;
}

function micros(v: number | undefined): number | undefined {
  if (v === undefined || !(v > 0) || !Number.isFinite(v)) return undefined;
  return Math.trunc(v);
}

/**
 * Normalises one span. Fails only when the span cannot be stored at all (no usable trace or span
 * ID); every other defect is repaired the way Zipkin's builder would.
 */
export function normalizeSpan(raw: RawSpan): Span | NormalizeFailure {
  if (raw.traceId === undefined) return { code: 'missing_field', reason: 'traceId is missing' };
  if (raw.id === undefined) return { code: 'missing_field', reason: 'id is missing' };
  const traceId = normalizeTraceId(raw.traceId);
  if (traceId === null)
    return { code: 'invalid_id', reason: `traceId ${JSON.stringify(raw.traceId.slice(0, 40))} is not 1-32 hex digits (or is all zeros)` };
  const id = normalizeSpanId(raw.id);
  if (id === null || id === '')
    return { code: 'invalid_id', reason: `id ${JSON.stringify(raw.id.slice(0, 40))} is not 1-16 hex digits (or is all zeros)` };
  let parentId: string | undefined;
  if (raw.parentId !== undefined && raw.parentId !== '') {
    const p = normalizeSpanId(raw.parentId);
    if (p === null) return { code: 'invalid_id', reason: `parentId ${JSON.stringify(raw.parentId.slice(0, 40))} is not 1-16 hex digits` };
    if (p !== '' && p !== id) parentId = p;
  }
  let kind: Kind | undefined;
  const rawKind = raw.kind;
  if (rawKind !== undefined) {
    // Exact upper-case values (nearly all input) skip toUpperCase and the set lookup.
    if (rawKind === 'CLIENT' || rawKind === 'SERVER' || rawKind === 'PRODUCER' || rawKind === 'CONSUMER') kind = rawKind;
    else {
      const upper = rawKind.toUpperCase();
      if (KINDS.has(upper)) kind = upper as Kind;
    }
  }
  return spanOf(
    traceId,
    parentId,
    id,
    kind,
    raw.name ? raw.name.toLowerCase() : undefined,
    micros(raw.timestamp),
    micros(raw.duration),
    normalizeEndpoint(raw.localEndpoint),
    normalizeEndpoint(raw.remoteEndpoint),
    normalizeAnnotations(raw.annotations),
    normalizeTags(raw.tags),
    raw.debug === true ? true : undefined,
    raw.shared === true && kind !== 'CLIENT' ? true : undefined,
  );
}

export function isNormalizeFailure(v: Span | NormalizeFailure): v is NormalizeFailure {
  return (v as NormalizeFailure).code !== undefined;
}
