/**
 * OTLP/HTTP answers (opentelemetry-proto docs/specification.md, OTLP/HTTP): 200 with an
 * ExportTraceServiceResponse in the request's encoding, carrying `partial_success` with the
 * number of rejected spans when some were bad; 400 (not retryable) with a google.rpc.Status when
 * nothing could be decoded; 503 (retryable) while the node is not accepting.
 */
import type { ServerResponse } from 'node:http';
import type { Encoding } from '../../../core/model/span.js';

export const OTLP_PATH = '/v1/traces';

export type OtlpEncoding = Extract<Encoding, 'otlp-proto' | 'otlp-json'>;

/** The body encoding from Content-Type; undefined when OTLP/HTTP does not define it (415). */
export function otlpBodyEncoding(contentType: string | undefined): OtlpEncoding | undefined {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'otlp-proto';
  if (type === 'application/json') return 'otlp-json';
  return undefined;
}

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

function lenField(tag: number, bytes: readonly number[] | Buffer): number[] {
  return [tag, ...varint(bytes.length), ...bytes];
}

/** ExportTraceServiceResponse{1 partial_success: {1 rejected_spans int64, 2 error_message}}. */
function responseProto(rejected: number, message: string): Buffer {
  if (rejected === 0) return Buffer.alloc(0);
  const inner = [0x08, ...varint(rejected), ...lenField(0x12, Buffer.from(message, 'utf8'))];
  return Buffer.from(lenField(0x0a, inner));
}

/** google.rpc.Status{1 code, 2 message}: 3 INVALID_ARGUMENT, 14 UNAVAILABLE. */
function statusProto(code: number, message: string): Buffer {
  return Buffer.from([0x08, code, ...lenField(0x12, Buffer.from(message, 'utf8'))]);
}

export function otlpReply(
  res: ServerResponse,
  encoding: OtlpEncoding,
  status: 200 | 400 | 503,
  rejected: number | undefined,
  message: string,
  count: (status: number) => void,
): void {
  count(status);
  const json = encoding === 'otlp-json';
  let body: Buffer;
  if (status === 200) {
    const n = rejected ?? 0;
    body = json
      ? Buffer.from(JSON.stringify(n > 0 ? { partialSuccess: { rejectedSpans: String(n), errorMessage: message } } : {}))
      : responseProto(n, message);
  } else {
    const code = status === 400 ? 3 : 14;
    body = json ? Buffer.from(JSON.stringify({ code, message })) : statusProto(code, message);
  }
  const headers: Record<string, string> = { 'content-type': json ? 'application/json' : 'application/x-protobuf' };
  if (status === 503) headers['retry-after'] = '1';
  res.writeHead(status, headers).end(body);
}
