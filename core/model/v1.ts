/**
 * Zipkin v1 span model (zipkin-api.yaml / zipkinCore.thrift), the intermediate form of the
 * JSON v1 and Thrift codecs. IDs are already lower-hex strings; times are microseconds.
 */
import type { Endpoint } from './span.js';

export interface V1Annotation {
  timestamp: number;
  value: string;
  endpoint?: Endpoint;
}

export interface V1BinaryAnnotation {
  key: string;
  /** String value; booleans are kept as boolean so `ca`/`sa`/`ma` address annotations are recognised. */
  value: string | boolean;
  endpoint?: Endpoint;
}

export interface V1Span {
  traceId: string;
  /** Upper 64 bits of a 128-bit trace ID, when the v1 encoding carried it separately (Thrift). */
  traceIdHigh?: string;
  name?: string;
  id: string;
  parentId?: string;
  timestamp?: number;
  duration?: number;
  annotations: V1Annotation[];
  binaryAnnotations: V1BinaryAnnotation[];
  debug?: boolean;
}
