/**
 * What the dependency stage reads of a buffered span: its facts plus its local endpoint's key,
 * and the mapping to the general linker's record.
 */
import type { Span } from '../../core/model/span.js';
import { FACT_ERROR_TAG, FACT_SHARED, type Interner, type SpanFacts } from '../assemble/facts.js';
import { flagsOfBits, kindOfBits } from '../assemble/rows.js';
import type { LinkSpan } from './linker.js';

/** What the stage reads of a buffered span: its facts and its local endpoint's key. */
export interface LinkFacts extends SpanFacts {
  /** `localEndpointKey` of the span, '' when it has no address or port. */
  endpoint: string;
}

/**
 * The local endpoint's address and port as one key (worth interning): only the general linker
 * reads it, to tell apart servers that share their client's span ID.
 */
export function localEndpointKey(span: Span): string {
  const e = span.localEndpoint;
  // Port 0 is no port (Zipkin's Endpoint reads it so): the key stays '' and compares equal.
  if (e === undefined || (e.ipv4 === undefined && e.ipv6 === undefined && !e.port)) return '';
  return `${e.ipv4 ?? ''}|${e.ipv6 ?? ''}|${e.port ?? 0}`;
}

/**
 * `localEndpointKey` interned, remembering the last endpoint: neighbouring spans mostly share theirs,
 * and then no key string is built.
 */
export class EndpointKeys {
  private ipv4: string | undefined;
  private ipv6: string | undefined;
  private port: number | undefined;
  private key = '';

  constructor(private readonly interner: Interner) {}

  of(span: Span): string {
    const e = span.localEndpoint;
    if (e === undefined) return '';
    if (e.ipv4 === this.ipv4 && e.ipv6 === this.ipv6 && e.port === this.port) return this.key;
    this.ipv4 = e.ipv4;
    this.ipv6 = e.ipv6;
    this.port = e.port;
    this.key = this.interner.intern(localEndpointKey(span));
    return this.key;
  }
}

/** The general linker's record of a buffered span (for traces, or repeated IDs, the fast path hands over). */
export function linkSpanOfFacts(traceId: string, f: LinkFacts): LinkSpan {
  const out: LinkSpan = { traceId, id: f.id, error: (f.flags & FACT_ERROR_TAG) !== 0 };
  if (f.parentId !== '') out.parentId = f.parentId;
  if (f.kind !== '') out.kind = f.kind;
  if ((f.flags & FACT_SHARED) !== 0) out.shared = true;
  if (f.timestamp > 0) out.timestamp = f.timestamp;
  if (f.service !== '') out.localServiceName = f.service;
  if (f.remoteService !== '') out.remoteServiceName = f.remoteService;
  if (f.endpoint !== '') {
    const [ipv4, ipv6, port] = endpointParts(f.endpoint);
    if (ipv4 !== '') out.localIpv4 = ipv4;
    if (ipv6 !== '') out.localIpv6 = ipv6;
    if (port !== 0) out.localPort = port;
  }
  return out;
}

/** Parsed endpoint keys: a trace's repeated IDs are mostly the same few servers. Bounded, reset when full. */
let parsedEndpoints = new Map<string, readonly [string, string, number]>();

function endpointParts(key: string): readonly [string, string, number] {
  let parts = parsedEndpoints.get(key);
  if (parts === undefined) {
    const [ipv4, ipv6, port] = key.split('|') as [string, string, string];
    parts = [ipv4, ipv6, Number(port)];
    if (parsedEndpoints.size >= 10_000) parsedEndpoints = new Map();
    parsedEndpoints.set(key, parts);
  }
  return parts;
}

/**
 * The record of a span held in columns (link rows, trace columns): kind and flags as
 * `kindAndFlags` bits; the name and duration are not kept there.
 */
export function factsOfColumns(
  id: string,
  parentId: string,
  bits: number,
  service: string,
  remoteService: string,
  timestamp: number,
  endpoint: string,
): LinkFacts {
  return {
    id,
    parentId,
    kind: kindOfBits(bits),
    service,
    remoteService,
    name: '',
    timestamp,
    duration: 0,
    flags: flagsOfBits(bits),
    endpoint,
  };
}
