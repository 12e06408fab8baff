/**
 * The one span model used downstream of the decoders: Zipkin v2 semantics, already normalised
 * (see normalize.ts). Timestamps and durations are epoch/elapsed microseconds held in a JS
 * number: exact up to 2^53 µs (year 2255), which every real tracer stays below.
 */
export type Kind = 'CLIENT' | 'SERVER' | 'PRODUCER' | 'CONSUMER';

/** Zipkin's numbers of the kinds (its proto3 `Span.Kind`; 0 is unset), also used in compact columns. */
export const KIND_BY_NUMBER: readonly (Kind | undefined)[] = [undefined, 'CLIENT', 'SERVER', 'PRODUCER', 'CONSUMER'];

export function kindNumber(kind: Kind | '' | undefined): number {
  switch (kind) {
    case 'CLIENT':
      return 1;
    case 'SERVER':
      return 2;
    case 'PRODUCER':
      return 3;
    case 'CONSUMER':
      return 4;
    default:
      return 0;
  }
}

export interface Endpoint {
  serviceName?: string;
  ipv4?: string;
  ipv6?: string;
  port?: number;
}

export interface Annotation {
  timestamp: number;
  value: string;
}

/**
 * Decoders make every span with all its keys, an absent field being `undefined` (`spanOf` in
 * normalize.ts: one hidden class): test a field with `=== undefined`, clear it by assigning `undefined`.
 */
export interface Span {
  traceId: string;
  parentId?: string;
  id: string;
  kind?: Kind;
  name?: string;
  timestamp?: number;
  duration?: number;
  localEndpoint?: Endpoint;
  remoteEndpoint?: Endpoint;
  annotations?: Annotation[];
  tags?: Record<string, string>;
  debug?: boolean;
  shared?: boolean;
}

/**
 * The wire encodings Zipkin's Kafka collector accepts (plus the legacy single Thrift span), and
 * OTLP's ExportTraceServiceRequest in protobuf and JSON.
 */
export type Encoding = ZipkinEncoding | 'otlp-proto' | 'otlp-json';

/** Zipkin's own encodings: the ones tracefold can also write (encode, produce, bench corpora). */
export type ZipkinEncoding = 'json-v2' | 'json-v1' | 'thrift' | 'proto3';

export const ENCODINGS: readonly Encoding[] = ['json-v2', 'json-v1', 'thrift', 'proto3', 'otlp-proto', 'otlp-json'];

/** Why one span (or a whole message) could not be decoded. Never thrown: returned. */
export interface DecodeError {
  encoding: Encoding | 'unknown';
  /** Index of the span in the message's list, or -1 when the message as a whole failed. */
  index: number;
  /** Byte offset in the message where the problem was found (best effort). */
  offset: number;
  /** Stable machine-readable reason, used as a metric label. */
  code: DecodeErrorCode;
  /** Human-readable detail. */
  reason: string;
}

export type DecodeErrorCode =
  | 'empty'
  | 'too_short'
  | 'unknown_format'
  | 'not_a_list'
  | 'malformed'
  | 'truncated'
  | 'too_large'
  | 'too_deep'
  | 'invalid_utf8'
  | 'invalid_field'
  | 'missing_field'
  | 'invalid_id';

export interface DecodeResult {
  encoding: Encoding | 'unknown';
  spans: Span[];
  errors: DecodeError[];
}
