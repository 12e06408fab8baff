/**
 * Zipkin v2 → v1 span conversion for the v1 encoders, a port of zipkin2/v1/V2SpanConverter.java:
 *
 * - IDs, name and debug copy over; a 32-char trace ID splits into traceIdHigh + traceId (low 64).
 * - timestamp/duration copy over unless the span is `shared` (v1's convention: a span without
 *   timestamp is someone else's).
 * - The kind (given, or implied by a two-letter annotation: cs/cr CLIENT, sr/ss SERVER, ms PRODUCER,
 *   mr CONSUMER) picks the begin/end core annotations and the address key:
 *   CLIENT cs/cr + "sa", SERVER sr/ss + "ca", PRODUCER ms/ws + "ma", CONSUMER wr/mr (or mr alone)
 *   + "ma". Begin is written at the start time (earliest of timestamp and cs/sr; for messaging the
 *   ms/wr times), end at timestamp + duration (or a later cr/ss; ws/mr for messaging); existing
 *   annotations with those values are then skipped. All annotations carry the local endpoint.
 * - Tags become string binary annotations on the local endpoint; the remote endpoint becomes an
 *   address binary annotation ("sa" when there is no kind); a span with a local endpoint and
 *   nothing else gets an empty "lc" so the endpoint is not lost.
 * - Annotations end sorted by (timestamp, value), binary annotations by key (stable), as V1Span.
 */
import type { Annotation, Endpoint, Kind, Span } from '../../model/span.js';
import type { V1Annotation, V1BinaryAnnotation, V1Span } from '../../model/v1.js';

function compareAnnotations(a: V1Annotation, b: V1Annotation): number {
  if (a.timestamp !== b.timestamp) return a.timestamp < b.timestamp ? -1 : 1;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

function compareBinaryAnnotations(a: V1BinaryAnnotation, b: V1BinaryAnnotation): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

function sortInPlace<T>(list: T[], compare: (a: T, b: T) => number): void {
  for (let i = 1; i < list.length; i++) {
    if (compare(list[i - 1] as T, list[i] as T) > 0) {
      list.sort(compare); // stable, as Java's Collections.sort
      return;
    }
  }
}

/** Converts a (normalised) v2 span to the v1 model the v1 encoders write. */
export function convertV2ToV1(span: Span): V1Span {
  const annotations: readonly Annotation[] = span.annotations ?? [];
  const remote = span.remoteEndpoint;
  const timestamp = span.timestamp ?? 0;
  const duration = span.duration ?? 0;

  // V1SpanMetadata.parse: better timestamps or an implied kind from the annotations.
  let startTs = timestamp;
  let endTs = startTs !== 0 && duration !== 0 ? startTs + duration : 0;
  let kind: Kind | undefined = span.kind;
  let msTs = 0;
  let wsTs = 0;
  let wrTs = 0;
  let mrTs = 0;
  for (let i = 0; i < annotations.length; i++) {
    const a = annotations[i] as Annotation;
    if (a.value.length !== 2) continue;
    switch (a.value) {
      case 'cs':
        kind = 'CLIENT';
        if (a.timestamp < startTs) startTs = a.timestamp;
        break;
      case 'sr':
        kind = 'SERVER';
        if (a.timestamp < startTs) startTs = a.timestamp;
        break;
      case 'ss':
        kind = 'SERVER';
        if (a.timestamp > endTs) endTs = a.timestamp;
        break;
      case 'cr':
        kind = 'CLIENT';
        if (a.timestamp > endTs) endTs = a.timestamp;
        break;
      case 'ms':
        kind = 'PRODUCER';
        msTs = a.timestamp;
        break;
      case 'mr':
        kind = 'CONSUMER';
        mrTs = a.timestamp;
        break;
      case 'ws':
        wsTs = a.timestamp;
        break;
      case 'wr':
        wrTs = a.timestamp;
        break;
    }
  }

  let begin: string | undefined;
  let end: string | undefined;
  let addr: string | undefined = remote !== undefined ? 'sa' : undefined; // default address key
  if (kind !== undefined) {
    switch (kind) {
      case 'CLIENT':
        addr = 'sa';
        begin = 'cs';
        end = 'cr';
        break;
      case 'SERVER':
        addr = 'ca';
        begin = 'sr';
        end = 'ss';
        break;
      case 'PRODUCER':
        addr = 'ma';
        begin = 'ms';
        end = 'ws';
        if (startTs === 0 || (msTs !== 0 && msTs < startTs)) startTs = msTs;
        if (endTs === 0 || (wsTs !== 0 && wsTs > endTs)) endTs = wsTs;
        break;
      case 'CONSUMER':
        addr = 'ma';
        if (startTs === 0 || (wrTs !== 0 && wrTs < startTs)) startTs = wrTs;
        if (endTs === 0 || (mrTs !== 0 && mrTs > endTs)) endTs = mrTs;
        if (endTs !== 0 || wrTs !== 0) {
          begin = 'wr';
          end = 'mr';
        } else {
          begin = 'mr';
        }
        break;
    }
    if (remote === undefined) addr = undefined;
  }

  const traceId = span.traceId;
  const v1: V1Span = {
    traceId: traceId.length === 32 ? traceId.slice(16) : traceId,
    traceIdHigh: traceId.length === 32 ? traceId.slice(0, 16) : undefined,
    name: span.name,
    id: span.id,
    parentId: span.parentId,
    // Shared spans (the server side of a client's span) don't report timestamp/duration in v1.
    timestamp: span.shared !== true && timestamp !== 0 ? timestamp : undefined,
    duration: span.shared !== true && duration !== 0 ? duration : undefined,
    annotations: [],
    binaryAnnotations: [],
    debug: span.debug === true ? true : undefined,
  };

  const ep: Endpoint | undefined = span.localEndpoint;
  const beginAnnotation = startTs !== 0 && begin !== undefined;
  const endAnnotation = endTs !== 0 && end !== undefined;
  let annotationCount = annotations.length;
  const out = v1.annotations;
  if (beginAnnotation) {
    annotationCount++;
    out.push({ timestamp: startTs, value: begin as string, endpoint: ep });
  }
  for (let i = 0; i < annotations.length; i++) {
    const a = annotations[i] as Annotation;
    if (beginAnnotation && a.value === begin) continue;
    if (endAnnotation && a.value === end) continue;
    out.push({ timestamp: a.timestamp, value: a.value, endpoint: ep });
  }
  if (endAnnotation) {
    annotationCount++;
    out.push({ timestamp: endTs, value: end as string, endpoint: ep });
  }

  const binaryAnnotations = v1.binaryAnnotations;
  const tags = span.tags;
  let hasTags = false;
  if (tags !== undefined) {
    // Zipkin iterates a TreeMap (UTF-16 code unit order, the same as Array.prototype.sort).
    const keys = Object.keys(tags).sort();
    hasTags = keys.length > 0;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      binaryAnnotations.push({ key, value: tags[key] as string, endpoint: ep });
    }
  }
  // An in-process span with nothing but a local endpoint: an empty "lc" keeps the endpoint.
  if (annotationCount === 0 && ep !== undefined && !hasTags) binaryAnnotations.push({ key: 'lc', value: '', endpoint: ep });
  if (addr !== undefined && remote !== undefined) binaryAnnotations.push({ key: addr, value: true, endpoint: remote });

  sortInPlace(out, compareAnnotations);
  sortInPlace(binaryAnnotations, compareBinaryAnnotations);
  return v1;
}
