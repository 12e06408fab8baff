/**
 * Zipkin v1 → v2 span conversion, a port of zipkin2/v1/V1SpanConverter.java (zipkin 2.x/3.x),
 * used by the JSON v1 and Thrift decoders. Rules, in Zipkin's order:
 *
 * 1. Every annotation is routed to a v2 span by its endpoint's service name (`forEndpoint`): the
 *    first span takes the first endpoint seen, annotations without endpoint go to the first span,
 *    a new service name forks a new span (same IDs).
 * 2. Core annotations (two letters, and only when they carry an endpoint): cs/cr → CLIENT,
 *    sr/ss → SERVER, ms → PRODUCER, mr → CONSUMER; ws/wr are wire timing. Others stay annotations.
 * 3. A missing cs (sr) is rebuilt from span.timestamp when span.timestamp + span.duration == cr (ss).
 * 4. cs + sr: the client owns span.timestamp/duration (explicit, else cs..cr); with the same service
 *    name (loopback) the server is forked into its own span; the server gets shared=true,
 *    timestamp=sr, duration=ss-sr; one-way (no cr, no span.duration) clears the client duration.
 *    cs+cr → client timing, sr+ss → server timing; otherwise the span is incomplete: each CLIENT
 *    (SERVER) span takes cs (sr) as timestamp, a lone cr (ss) is kept as an annotation, and an explicit
 *    span.timestamp/duration goes to the first span.
 * 5. sr without cs, when span.timestamp is absent (or ss is there but span.duration is absent) →
 *    shared=true: v1 had no shared flag, a missing timestamp meant "not my span".
 * 6. ms + mr (should not happen): loopback split as in 4, consumer shared, timestamp=wr|mr,
 *    producer timestamp=ms, duration=ws-ms. ms alone: ms..ws; mr alone: wr..mr (or mr). No
 *    messaging core: ws/wr stay annotations.
 * 7. Binary annotations: key ca/sa/ma is an address (Zipkin's lenient peek: whatever the value),
 *    `lc` with an empty value only assigns the local endpoint, every other one is a tag of the span
 *    its endpoint routes to.
 * 8. Addresses: with no RPC core annotation, ca+sa → span at ca gets remote sa; sa alone → first
 *    span's remote; ca alone → first span becomes SERVER with remote ca. Otherwise ca is the remote
 *    of the server side (sr, else ss) unless equal to its endpoint (a ca with the server's own
 *    service name loses the name: Finagle's client-port "ca"); sa is the remote of the client side
 *    (cs, else cr); ma of both messaging sides.
 *
 * V1Span sorts annotations by (timestamp, value) and binary annotations by key before conversion
 * (V1Span.sortedList), which decides routing and which duplicate core annotation wins: so do we.
 * Endpoints are compared after Zipkin's own normalisation (lower-case service name, empty → absent).
 *
 * Typed binary annotations: zipkin2's readers keep only STRING values and BOOL addresses; zipkin
 * 1.x (zipkin/internal/V2SpanConverter.java) turned the other types into tags. The decoders keep
 * them by default, using 1.x's text forms (see `typedBinaryAnnotations` and the helpers below).
 */
import { endpointOf, normalizeEndpoint, normalizeTags, type RawSpan, spanOf } from '../../model/normalize.js';
import type { Annotation, Endpoint, Kind, Span } from '../../model/span.js';
import type { V1Annotation, V1BinaryAnnotation, V1Span } from '../../model/v1.js';
import type { DecodeOptions } from './limits.js';

/** Options of the v1 decoders (JSON v1 and Thrift): the shared limits plus typed values. */
export interface V1DecodeOptions extends DecodeOptions {
  /**
   * Binary annotations of types other than STRING (and BOOL addresses): `'string'` (default) keeps
   * them as tags with zipkin 1.x's text (BOOL true/false, I16/I32/I64 decimal, DOUBLE as Java's
   * Double.toString, BYTES base64url); `'drop'` discards them, as zipkin2's readers do.
   */
  typedBinaryAnnotations?: 'string' | 'drop';
}

/** One core annotation (cs, sr, ...) with its already-normalised endpoint. */
interface Core {
  timestamp: number;
  value: string;
  endpoint: Endpoint;
}

/** A v2 span under construction (Zipkin's Span.Builder). Times: 0 means unset. */
class Builder {
  localEndpoint: Endpoint | undefined = undefined;
  remoteEndpoint: Endpoint | undefined = undefined;
  kind: Kind | undefined = undefined;
  timestamp = 0;
  duration = 0;
  shared = false;
  annotations: Annotation[] | undefined = undefined;
  tags: Record<string, string> | undefined = undefined;

  setTimestamp(v: number): void {
    this.timestamp = Math.max(v, 0); // Span.Builder.timestamp clamps negatives to "unset"
  }

  setDuration(v: number): void {
    this.duration = Math.max(v, 0);
  }

  addAnnotation(timestamp: number, value: string): void {
    if (this.annotations === undefined) this.annotations = [];
    this.annotations.push({ timestamp, value });
  }

  putTag(key: string, value: string): void {
    if (this.tags === undefined) this.tags = {};
    // A plain assignment to "__proto__" would set the prototype and lose the tag.
    if (key === '__proto__') Object.defineProperty(this.tags, key, { value, enumerable: true, writable: true, configurable: true });
    else this.tags[key] = value;
  }
}

function sameServiceName(a: Endpoint, b: Endpoint): boolean {
  return a.serviceName === b.serviceName;
}

function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  return a === b || (a.serviceName === b.serviceName && a.ipv4 === b.ipv4 && a.ipv6 === b.ipv6 && a.port === b.port);
}

function compareAnnotations(a: V1Annotation, b: V1Annotation): number {
  if (a.timestamp !== b.timestamp) return a.timestamp < b.timestamp ? -1 : 1;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

function compareBinaryAnnotations(a: V1BinaryAnnotation, b: V1BinaryAnnotation): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** Returns `list` sorted (stable, as Java's Collections.sort), copying only when out of order. */
function sortedView<T>(list: T[], compare: (a: T, b: T) => number): T[] {
  for (let i = 1; i < list.length; i++) {
    if (compare(list[i - 1] as T, list[i] as T) > 0) return list.slice().sort(compare);
  }
  return list;
}

function isAddressKey(key: string): boolean {
  return key.length === 2 && (key === 'ca' || key === 'sa' || key === 'ma');
}

/**
 * Stateful like Zipkin's converter (one instance reused per thread), so the conversion loop does
 * not allocate beyond the spans it returns.
 */
class V1SpanConverter {
  private first = new Builder();
  private spans: Builder[] = [];
  private cs: Core | undefined;
  private sr: Core | undefined;
  private ss: Core | undefined;
  private cr: Core | undefined;
  private ms: Core | undefined;
  private mr: Core | undefined;
  private ws: Core | undefined;
  private wr: Core | undefined;
  private sourceTimestamp = 0;
  private sourceDuration = 0;
  // Last endpoint normalised: v1 repeats the same endpoint on every annotation.
  private lastRaw: Endpoint | undefined;
  private lastNormalized: Endpoint | undefined;

  convert(source: V1Span): RawSpan[] {
    this.first = new Builder();
    this.spans = [];
    this.cs = this.sr = this.ss = this.cr = this.ms = this.mr = this.ws = this.wr = undefined;
    this.sourceTimestamp = source.timestamp ?? 0;
    this.sourceDuration = source.duration ?? 0;
    this.processAnnotations(source);
    this.processBinaryAnnotations(source);
    return this.finish(source);
  }

  private normalize(raw: Endpoint | undefined): Endpoint | undefined {
    if (raw === undefined) return undefined;
    const last = this.lastRaw;
    if (
      last !== undefined &&
      (raw === last || (raw.serviceName === last.serviceName && raw.ipv4 === last.ipv4 && raw.ipv6 === last.ipv6 && raw.port === last.port))
    ) {
      return this.lastNormalized;
    }
    const normalized = normalizeEndpoint(raw);
    this.lastRaw = raw;
    this.lastNormalized = normalized;
    return normalized;
  }

  private processAnnotations(source: V1Span): void {
    const annotations = sortedView(source.annotations, compareAnnotations);
    for (let i = 0; i < annotations.length; i++) {
      const a = annotations[i] as V1Annotation;
      const endpoint = this.normalize(a.endpoint);
      const current = this.forEndpoint(endpoint);
      // Core annotations require an endpoint: without one they get no special treatment.
      if (a.value.length === 2 && endpoint !== undefined) {
        switch (a.value) {
          case 'cs':
            current.kind = 'CLIENT';
            this.cs = { timestamp: a.timestamp, value: a.value, endpoint };
            continue;
          case 'sr':
            current.kind = 'SERVER';
            this.sr = { timestamp: a.timestamp, value: a.value, endpoint };
            continue;
          case 'ss':
            current.kind = 'SERVER';
            this.ss = { timestamp: a.timestamp, value: a.value, endpoint };
            continue;
          case 'cr':
            current.kind = 'CLIENT';
            this.cr = { timestamp: a.timestamp, value: a.value, endpoint };
            continue;
          case 'ms':
            current.kind = 'PRODUCER';
            this.ms = { timestamp: a.timestamp, value: a.value, endpoint };
            continue;
          case 'mr':
            current.kind = 'CONSUMER';
            this.mr = { timestamp: a.timestamp, value: a.value, endpoint };
            continue;
          case 'ws':
            this.ws = { timestamp: a.timestamp, value: a.value, endpoint };
            continue;
          case 'wr':
            this.wr = { timestamp: a.timestamp, value: a.value, endpoint };
            continue;
        }
      }
      current.addAnnotation(a.timestamp, a.value);
    }

    const sts = this.sourceTimestamp;
    const sdur = this.sourceDuration;
    // Bridging from an event model can lose the start annotation: rebuild it from the span's times.
    if (this.cs === undefined && this.cr !== undefined && this.endReflectsSpanDuration(this.cr)) {
      this.cs = { timestamp: sts, value: 'cs', endpoint: this.cr.endpoint };
    }
    if (this.sr === undefined && this.ss !== undefined && this.endReflectsSpanDuration(this.ss)) {
      this.sr = { timestamp: sts, value: 'sr', endpoint: this.ss.endpoint };
    }

    const { cs, sr, ss, cr } = this;
    if (cs !== undefined && sr !== undefined) {
      // In a shared span the client side owns the span's timing (explicit or cs..cr).
      this.maybeTimestampDuration(cs, cr);
      const client = this.forEndpoint(cs.endpoint);
      let server: Builder;
      if (sameServiceName(cs.endpoint, sr.endpoint)) {
        // Loopback: one service is both client and server, so fork the server side.
        client.kind = 'CLIENT';
        server = this.newSpanBuilder(sr.endpoint);
        server.kind = 'SERVER';
      } else {
        server = this.forEndpoint(sr.endpoint);
      }
      server.shared = true;
      server.setTimestamp(sr.timestamp);
      if (ss !== undefined) server.setDuration(ss.timestamp - sr.timestamp);
      if (cr === undefined && sdur === 0) client.duration = 0; // one-way has no duration
    } else if (cs !== undefined && cr !== undefined) {
      this.maybeTimestampDuration(cs, cr);
    } else if (sr !== undefined && ss !== undefined) {
      this.maybeTimestampDuration(sr, ss);
    } else {
      // Incomplete RPC: undo the special-casing of the lone core annotations.
      this.handleIncompleteRpc(this.first);
      for (let i = 0; i < this.spans.length; i++) this.handleIncompleteRpc(this.spans[i] as Builder);
      if (sts !== 0) {
        this.first.setTimestamp(sts);
        this.first.setDuration(sdur);
      }
    }

    // v1 had no shared flag: an absent span timestamp meant "someone else's span". When only the
    // server side is here, carry that over (also when ss is here but the duration is not: a row
    // shared with the client in MySQL storage).
    if (cs === undefined && sr !== undefined && (sts === 0 || (ss !== undefined && sdur === 0))) {
      this.forEndpoint(sr.endpoint).shared = true;
    }

    const { ms, mr, ws, wr } = this;
    if (ms !== undefined && mr !== undefined) {
      // Not supposed to share a span, but in case they do: same loopback logic as RPC.
      const producer = this.forEndpoint(ms.endpoint);
      let consumer: Builder;
      if (sameServiceName(ms.endpoint, mr.endpoint)) {
        producer.kind = 'PRODUCER';
        consumer = this.newSpanBuilder(mr.endpoint);
        consumer.kind = 'CONSUMER';
      } else {
        consumer = this.forEndpoint(mr.endpoint);
      }
      consumer.shared = true;
      if (wr !== undefined) {
        consumer.setTimestamp(wr.timestamp);
        consumer.setDuration(mr.timestamp - wr.timestamp);
      } else {
        consumer.setTimestamp(mr.timestamp);
      }
      producer.setTimestamp(ms.timestamp);
      producer.setDuration(ws !== undefined ? ws.timestamp - ms.timestamp : 0);
    } else if (ms !== undefined) {
      this.maybeTimestampDuration(ms, ws);
    } else if (mr !== undefined) {
      if (wr !== undefined) this.maybeTimestampDuration(wr, mr);
      else this.maybeTimestampDuration(mr, undefined);
    } else {
      if (ws !== undefined) this.forEndpoint(ws.endpoint).addAnnotation(ws.timestamp, ws.value);
      if (wr !== undefined) this.forEndpoint(wr.endpoint).addAnnotation(wr.timestamp, wr.value);
    }
  }

  private handleIncompleteRpc(next: Builder): void {
    if (next.kind === 'CLIENT') {
      if (this.cs !== undefined) next.setTimestamp(this.cs.timestamp);
      if (this.cr !== undefined) next.addAnnotation(this.cr.timestamp, this.cr.value);
    } else if (next.kind === 'SERVER') {
      if (this.sr !== undefined) next.setTimestamp(this.sr.timestamp);
      if (this.ss !== undefined) next.addAnnotation(this.ss.timestamp, this.ss.value);
    }
  }

  private endReflectsSpanDuration(end: Core): boolean {
    return this.sourceTimestamp !== 0 && this.sourceDuration !== 0 && this.sourceTimestamp + this.sourceDuration === end.timestamp;
  }

  private maybeTimestampDuration(begin: Core, end: Core | undefined): void {
    const span = this.forEndpoint(begin.endpoint);
    if (this.sourceTimestamp !== 0 && this.sourceDuration !== 0) {
      span.setTimestamp(this.sourceTimestamp);
      span.setDuration(this.sourceDuration);
    } else {
      span.setTimestamp(begin.timestamp);
      if (end !== undefined) span.setDuration(end.timestamp - begin.timestamp);
    }
  }

  private processBinaryAnnotations(source: V1Span): void {
    let ca: Endpoint | undefined;
    let sa: Endpoint | undefined;
    let ma: Endpoint | undefined;
    const binaryAnnotations = sortedView(source.binaryAnnotations, compareBinaryAnnotations);
    for (let i = 0; i < binaryAnnotations.length; i++) {
      const b = binaryAnnotations[i] as V1BinaryAnnotation;
      const value = b.value;
      if (isAddressKey(b.key)) {
        // Zipkin peeks at the key only: some zipkin-ruby versions wrote "1" instead of true.
        let endpoint: Endpoint | undefined;
        if (typeof value === 'boolean') {
          // A boolean address needs an endpoint (V1Span.Builder ignores empty ones); false is no address.
          if (!value) continue;
          endpoint = this.normalize(b.endpoint);
          if (endpoint === undefined) continue;
        } else {
          endpoint = this.normalize(b.endpoint);
        }
        if (b.key === 'ca') ca = endpoint;
        else if (b.key === 'sa') sa = endpoint;
        else ma = endpoint;
        continue;
      }
      const current = this.forEndpoint(this.normalize(b.endpoint));
      if (typeof value === 'string') {
        // An empty "lc" is only a marker giving a local span its endpoint (done just above).
        if (value === '' && b.key === 'lc') continue;
        current.putTag(b.key, value);
      } else {
        current.putTag(b.key, value ? 'true' : 'false');
      }
    }

    const { cs, sr, ss, cr, ms, mr } = this;
    const noCoreAnnotations = cs === undefined && cr === undefined && ss === undefined && sr === undefined;
    if (noCoreAnnotations && (ca !== undefined || sa !== undefined)) {
      if (ca !== undefined && sa !== undefined) {
        this.forEndpoint(ca).remoteEndpoint = sa;
      } else if (sa !== undefined) {
        // "sa" is the default remote address: it does not make the span a client.
        this.forEndpoint(undefined).remoteEndpoint = sa;
      } else if (ca !== undefined) {
        const span = this.forEndpoint(undefined);
        span.kind = 'SERVER';
        span.remoteEndpoint = ca;
      }
      return;
    }

    const server = sr ?? ss;
    if (ca !== undefined && server !== undefined && !sameEndpoint(ca, server.endpoint)) {
      // Finagle adds a "ca" with the server's own service name for the client port of the
      // socket: drop the name so the link is not a loopback.
      const remote = sameServiceName(ca, server.endpoint) ? withoutServiceName(ca) : ca;
      this.forEndpoint(server.endpoint).remoteEndpoint = remote;
    }
    if (sa !== undefined) {
      if (cs !== undefined) this.forEndpoint(cs.endpoint).remoteEndpoint = sa;
      else if (cr !== undefined) this.forEndpoint(cr.endpoint).remoteEndpoint = sa;
    }
    if (ma !== undefined) {
      // Both messaging sides get the broker, in case a messaging span was shared by mistake.
      if (ms !== undefined) this.forEndpoint(ms.endpoint).remoteEndpoint = ma;
      if (mr !== undefined) this.forEndpoint(mr.endpoint).remoteEndpoint = ma;
    }
  }

  /** The span for this endpoint's service name; a builder without endpoint adopts it. */
  private forEndpoint(e: Endpoint | undefined): Builder {
    if (e === undefined) return this.first; // data without endpoint goes to the first span
    if (closeEnough(this.first, e)) return this.first;
    for (let i = 0; i < this.spans.length; i++) {
      const next = this.spans[i] as Builder;
      if (closeEnough(next, e)) return next;
    }
    return this.newSpanBuilder(e);
  }

  private newSpanBuilder(e: Endpoint): Builder {
    const b = new Builder();
    b.localEndpoint = e;
    this.spans.push(b);
    return b;
  }

  private finish(source: V1Span): RawSpan[] {
    const low = source.traceId;
    const traceId =
      source.traceIdHigh !== undefined ? source.traceIdHigh + (low.length < 16 ? '0000000000000000'.slice(low.length) + low : low) : low;
    const out: RawSpan[] = [toRaw(this.first, source, traceId)];
    for (let i = 0; i < this.spans.length; i++) out.push(toRaw(this.spans[i] as Builder, source, traceId));
    return out;
  }
}

function closeEnough(builder: Builder, e: Endpoint): boolean {
  if (builder.localEndpoint === undefined) {
    builder.localEndpoint = e;
    return true;
  }
  return sameServiceName(builder.localEndpoint, e);
}

function withoutServiceName(e: Endpoint): Endpoint {
  const out: Endpoint = {};
  if (e.ipv4 !== undefined) out.ipv4 = e.ipv4;
  if (e.ipv6 !== undefined) out.ipv6 = e.ipv6;
  if (e.port !== undefined) out.port = e.port;
  return out;
}

function toRaw(b: Builder, source: V1Span, traceId: string): RawSpan {
  // One object shape for every span (absent values as undefined): normalizeSpan builds the final one.
  return {
    traceId,
    parentId: source.parentId,
    id: source.id,
    kind: b.kind,
    name: source.name,
    timestamp: b.timestamp === 0 ? undefined : b.timestamp,
    duration: b.duration === 0 ? undefined : b.duration,
    localEndpoint: b.localEndpoint,
    remoteEndpoint: b.remoteEndpoint,
    annotations: b.annotations,
    tags: b.tags,
    debug: source.debug,
    shared: b.shared ? true : undefined,
  };
}

const converter = new V1SpanConverter();

/**
 * Converts one v1 span to its v2 spans (usually one; one per service name that logged to it, e.g.
 * client + server of a loopback call). The result is raw: run each through `normalizeSpan`.
 */
export function convertV1ToV2(v1: V1Span): RawSpan[] {
  return converter.convert(v1);
}

// ---------------------------------------------------------------------------------------------
// Fast path: the common v1 span, straight to the normalised v2 span.

/** Entries of SimpleSpanConverter's normalisation cache (a power of two). */
const NORMALIZED_CACHE = 8;

const NO_SIDE = 0;
const CLIENT_SIDE = 1;
const SERVER_SIDE = 2;

function sameRawEndpoint(a: Endpoint, b: Endpoint): boolean {
  return a === b || (a.serviceName === b.serviceName && a.ipv4 === b.ipv4 && a.ipv6 === b.ipv6 && a.port === b.port);
}

/** A fresh copy of a normalised endpoint: what normalizeEndpoint returns for one, without re-validating. */
function copyEndpoint(e: Endpoint): Endpoint {
  return endpointOf(e.serviceName, e.ipv4, e.ipv6, e.port);
}

/**
 * Decides whether a v1 span has the simple shape and, if so, builds its one v2 span. The simple
 * shape is what nearly every instrumented span looks like in v1:
 * - every annotation, and every binary annotation that carries an endpoint and is not an address,
 *   has the same endpoint (equal fields), which normalises to something;
 * - the core annotations are one RPC side: none, cs, cs+cr, sr or sr+ss (no lone cr or ss, no
 *   duplicates, no messaging, no ws/wr);
 * - the other annotations are in strictly increasing (timestamp, value) order;
 * - not both ca and sa without a core annotation (the span would be routed by ca).
 * With one endpoint the converter makes one span and routes nothing, and with sorted, unique
 * annotations its sorting and normalizeSpan's de-duplication change nothing: the rules of
 * V1SpanConverter then reduce to the few lines below. Anything else returns undefined, for the
 * general path.
 */
class SimpleSpanConverter {
  private raw: Endpoint | undefined;
  private side = NO_SIDE;
  private hasBegin = false;
  private hasEnd = false;
  private begin = 0;
  private end = 0;
  private timestamp = 0;
  private duration = 0;
  private annotations: Annotation[] | undefined;
  private tags: Record<string, string> | undefined;
  private ca: Endpoint | undefined;
  private sa: Endpoint | undefined;
  // normalizeEndpoint of the last few endpoint objects: the Thrift reader hands back one object
  // per distinct endpoint, and a handful of them make most spans.
  private readonly cacheRaw: (Endpoint | undefined)[] = new Array<Endpoint | undefined>(NORMALIZED_CACHE).fill(undefined);
  private readonly cacheNormalized: (Endpoint | undefined)[] = new Array<Endpoint | undefined>(NORMALIZED_CACHE).fill(undefined);
  private cacheNext = 0;
  private cacheLast = 0;

  convert(source: V1Span): Span | undefined {
    this.raw = undefined;
    this.side = NO_SIDE;
    this.hasBegin = this.hasEnd = false;
    this.annotations = undefined;
    this.tags = undefined;
    this.ca = this.sa = undefined;
    if (!this.scanAnnotations(source.annotations) || !this.scanBinaryAnnotations(source.binaryAnnotations)) return undefined;
    let local: Endpoint | undefined;
    if (this.raw !== undefined) {
      local = this.normalize(this.raw);
      if (local === undefined) return undefined; // core annotations would not count: general path
    }
    if (this.side === NO_SIDE && this.ca !== undefined && this.sa !== undefined) return undefined; // routes by ca
    return this.build(source, local);
  }

  /** False when the endpoint differs from the span's one endpoint. */
  private adopt(e: Endpoint): boolean {
    if (this.raw === undefined) {
      this.raw = e;
      return true;
    }
    return sameRawEndpoint(this.raw, e);
  }

  private scanAnnotations(list: V1Annotation[]): boolean {
    let previous: V1Annotation | undefined;
    for (let i = 0; i < list.length; i++) {
      const a = list[i] as V1Annotation;
      if (a.endpoint === undefined || !this.adopt(a.endpoint)) return false;
      const value = a.value;
      if (value.length === 2) {
        const core = this.core(value, a.timestamp);
        if (core === 1) continue;
        if (core === -1) return false;
      }
      if (previous !== undefined && compareAnnotations(previous, a) >= 0) return false;
      previous = a;
      if (this.annotations === undefined) this.annotations = [];
      this.annotations.push({ timestamp: a.timestamp, value });
    }
    return !this.hasEnd || this.hasBegin; // a lone cr or ss: the converter may rebuild its begin
  }

  /** 1: a core annotation taken; 0: not a core annotation; -1: one the fast path does not handle. */
  private core(value: string, timestamp: number): number {
    switch (value) {
      case 'cs':
      case 'sr': {
        const side = value === 'cs' ? CLIENT_SIDE : SERVER_SIDE;
        if (this.hasBegin || (this.side !== NO_SIDE && this.side !== side)) return -1;
        this.side = side;
        this.hasBegin = true;
        this.begin = timestamp;
        return 1;
      }
      case 'cr':
      case 'ss': {
        const side = value === 'cr' ? CLIENT_SIDE : SERVER_SIDE;
        if (this.hasEnd || (this.side !== NO_SIDE && this.side !== side)) return -1;
        this.side = side;
        this.hasEnd = true;
        this.end = timestamp;
        return 1;
      }
      case 'ms':
      case 'mr':
      case 'ws':
      case 'wr':
        return -1;
      default:
        return 0;
    }
  }

  /**
   * Wire order, not sorted by key as the converter goes: with one endpoint the order only decides
   * which of two equal keys wins, and a stable sort keeps equal keys in wire order. (Tags are
   * sorted by normalizeTags, as in the general path.)
   */
  private scanBinaryAnnotations(list: V1BinaryAnnotation[]): boolean {
    for (let i = 0; i < list.length; i++) {
      const b = list[i] as V1BinaryAnnotation;
      const key = b.key;
      const value = b.value;
      if (isAddressKey(key)) {
        this.address(key, value, b.endpoint);
        continue;
      }
      if (b.endpoint !== undefined && !this.adopt(b.endpoint)) return false;
      if (typeof value !== 'string') this.putTag(key, value ? 'true' : 'false');
      else if (value !== '' || key !== 'lc') this.putTag(key, value); // an empty "lc" only marks the endpoint
    }
    return true;
  }

  /** ca/sa as processBinaryAnnotations takes them ("ma" only counts on messaging spans: general path). */
  private address(key: string, value: string | boolean, raw: Endpoint | undefined): void {
    const endpoint = raw === undefined ? undefined : this.normalize(raw);
    // A boolean address needs to be true and to have an endpoint; any other value is Zipkin's lenient peek.
    if (typeof value === 'boolean' && (!value || endpoint === undefined)) return;
    if (key === 'ca') this.ca = endpoint;
    else if (key === 'sa') this.sa = endpoint;
  }

  private putTag(key: string, value: string): void {
    if (this.tags === undefined) this.tags = {};
    if (key === '__proto__') Object.defineProperty(this.tags, key, { value, enumerable: true, writable: true, configurable: true });
    else this.tags[key] = value;
  }

  private normalize(raw: Endpoint): Endpoint | undefined {
    const cached = this.cacheRaw;
    let slot = this.cacheLast;
    if (cached[slot] === raw) return this.cacheNormalized[slot];
    for (let i = 0; i < NORMALIZED_CACHE; i++) {
      if (cached[i] === raw) {
        this.cacheLast = i;
        return this.cacheNormalized[i];
      }
    }
    const normalized = normalizeEndpoint(raw);
    slot = this.cacheNext;
    this.cacheNext = (slot + 1) & (NORMALIZED_CACHE - 1);
    cached[slot] = raw;
    this.cacheNormalized[slot] = normalized;
    this.cacheLast = slot;
    return normalized;
  }

  /** The span as normalizeSpan lays it out (spanOf): same keys, same fresh objects. */
  private build(source: V1Span, local: Endpoint | undefined): Span {
    const id = source.id;
    const traceId = source.traceIdHigh !== undefined ? source.traceIdHigh + source.traceId : source.traceId;
    const parentId = source.parentId !== undefined && source.parentId !== id ? source.parentId : undefined;
    const side = this.side;
    let kind: Kind | undefined = side === CLIENT_SIDE ? 'CLIENT' : side === SERVER_SIDE ? 'SERVER' : undefined;
    const remote = this.remote(local);
    if (side === NO_SIDE && this.sa === undefined && this.ca !== undefined) kind = 'SERVER'; // ca alone
    const sts = source.timestamp ?? 0;
    const sdur = source.duration ?? 0;
    this.times(sts, sdur);
    return spanOf(
      traceId,
      parentId,
      id,
      kind,
      source.name ? source.name.toLowerCase() : undefined,
      this.timestamp > 0 ? this.timestamp : undefined,
      this.duration > 0 ? this.duration : undefined,
      local === undefined ? undefined : copyEndpoint(local),
      remote,
      this.annotations,
      normalizeTags(this.tags),
      source.debug === true ? true : undefined,
      // v1 had no shared flag: a server side without span timestamp (or with ss but no duration) is shared.
      side === SERVER_SIDE && (sts === 0 || (this.hasEnd && sdur === 0)) ? true : undefined,
    );
  }

  /** Span.timestamp/duration per maybeTimestampDuration and handleIncompleteRpc, into `timestamp`/`duration` (0: absent). */
  private times(sts: number, sdur: number): void {
    let timestamp = 0;
    let duration = 0;
    if (this.hasBegin && this.hasEnd && (sts === 0 || sdur === 0)) {
      timestamp = this.begin;
      duration = this.end - this.begin;
    } else {
      if (this.hasBegin && !this.hasEnd) timestamp = this.begin;
      if (sts !== 0) {
        timestamp = sts;
        duration = sdur;
      }
    }
    this.timestamp = timestamp;
    this.duration = duration;
  }

  /** The remote endpoint per processBinaryAnnotations' address rules, fresh as normalizeSpan makes it. */
  private remote(local: Endpoint | undefined): Endpoint | undefined {
    const { ca, sa } = this;
    if (this.side === NO_SIDE) {
      const address = sa ?? ca; // (both together took the general path)
      return address === undefined ? undefined : copyEndpoint(address);
    }
    if (this.side === CLIENT_SIDE) return sa === undefined ? undefined : copyEndpoint(sa);
    if (ca === undefined || local === undefined || sameEndpoint(ca, local)) return undefined;
    // Finagle's client-port "ca" with the server's own service name loses the name.
    return sameServiceName(ca, local) ? normalizeEndpoint(withoutServiceName(ca)) : copyEndpoint(ca);
  }
}

const simpleConverter = new SimpleSpanConverter();

/**
 * The span `normalizeSpan(convertV1ToV2(source)[0])` gives, built directly, when `source` has the
 * common simple shape (one endpoint, at most one RPC side, sorted unique annotations: see
 * SimpleSpanConverter); undefined otherwise, and the caller takes the general path.
 *
 * Precondition: the IDs are already normalised as the Thrift reader makes them: traceId, id and
 * parentId 16 lower-hex digits, trace and span ID not zero, parentId and traceIdHigh absent rather
 * than zero; times are integers. (JSON v1 IDs are free text: that decoder keeps the general path.)
 * Endpoint objects must not change once passed in: their normalised forms are cached by identity.
 */
export function convertSimpleV1Span(source: V1Span): Span | undefined {
  return simpleConverter.convert(source);
}

// ---------------------------------------------------------------------------------------------
// Text forms of typed binary annotation values (zipkin 1.x V2SpanConverter), shared by decoders.

/** Java's `Double.toString(d)` (JDK 19+, shortest round-trip digits). */
export function formatJavaDouble(d: number): string {
  if (Number.isNaN(d)) return 'NaN';
  if (d === Number.POSITIVE_INFINITY) return 'Infinity';
  if (d === Number.NEGATIVE_INFINITY) return '-Infinity';
  if (d === 0) return Object.is(d, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(d);
  // toExponential() without digits gives the shortest digits that round-trip, like Java's, except
  // that Java writes at least two digits and then picks the 2-digit decimal closest to the value
  // (Double.MIN_VALUE is 4.9E-324, not 5.0E-324).
  let exp = abs.toExponential();
  if (exp.charAt(1) !== '.') {
    const two = abs.toExponential(1);
    if (Number(two) === abs) exp = two;
  }
  const e = exp.indexOf('e');
  // Mantissa digits without the point nor trailing zeros (a ".0" is added back where Java has one).
  const digits = (exp.charAt(0) + exp.slice(2, e)).replace(/(?<=.)0+$/, '');
  const exponent = Number(exp.slice(e + 1));
  let text: string;
  if (abs >= 1e-3 && abs < 1e7) {
    if (exponent >= 0) {
      const intPart = digits.length > exponent + 1 ? digits.slice(0, exponent + 1) : digits.padEnd(exponent + 1, '0');
      const frac = digits.slice(exponent + 1);
      text = `${intPart}.${frac === '' ? '0' : frac}`;
    } else {
      text = `0.${'0'.repeat(-exponent - 1)}${digits}`;
    }
  } else {
    text = `${digits.charAt(0)}.${digits.length > 1 ? digits.slice(1) : '0'}E${exponent}`;
  }
  return d < 0 ? `-${text}` : text;
}

/** Base64url with padding (okio's `base64Url()`, used by zipkin 1.x for BYTES tags). */
export function base64UrlPadded(bytes: Uint8Array): string {
  const s = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
  const pad = (4 - (s.length % 4)) % 4;
  return pad === 0 ? s : s + '='.repeat(pad);
}
