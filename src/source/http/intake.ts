/**
 * HTTP intake, like the Zipkin server's collector: `POST /api/v2/spans` and `/api/v1/spans` with a
 * body in any Zipkin encoding (optionally gzip). Bodies go through the same pipeline as Kafka
 * records; the answer waits for the decode so a client learns about a body that holds no span
 * (400), while storage stays asynchronous (202), as in Zipkin.
 * Also OTLP/HTTP: `POST /v1/traces` with a protobuf or JSON ExportTraceServiceRequest, answered
 * as the OTLP specification says (otlp.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { gunzip } from 'node:zlib';
import type { Encoding } from '../../../core/model/span.js';
import type { DecodedMessage } from '../../../workers/protocol.js';
import { listen } from '../../admin/http.js';
import { OTLP_PATH, type OtlpEncoding, otlpBodyEncoding, otlpReply } from './otlp.js';

export interface IntakeOptions {
  host: string;
  port: number;
  maxBodyBytes: number;
}

/** Hands one body to the pipeline; resolves with its decode outcome. Rejects when not accepting. */
export type Submit = (body: Buffer, encoding?: Encoding) => Promise<DecodedMessage>;

export type IntakeCounter = (status: number) => void;

const PATHS = new Set(['/api/v2/spans', '/api/v1/spans', OTLP_PATH]);

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too_large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      if (size > limit) return; // already refused: drain the rest so the client can read the 413
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        resolve('too_large');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (size <= limit) resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

function gunzipLimited(body: Buffer, limit: number): Promise<Buffer | 'too_large' | 'bad_gzip'> {
  return new Promise((resolve) => {
    gunzip(body, { maxOutputLength: limit }, (err, out) => {
      if (!err) resolve(out);
      else resolve((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' ? 'too_large' : 'bad_gzip');
    });
  });
}

function reply(res: ServerResponse, status: number, text: string, count: IntakeCounter): void {
  count(status);
  const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
  if (status === 413) headers.connection = 'close';
  res.writeHead(status, headers).end(text ? `${text}\n` : '');
}

export async function startIntake(opts: IntakeOptions, submit: Submit, count: IntakeCounter): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] as string;
    if (!PATHS.has(path)) return reply(res, 404, `not found: POST spans to /api/v2/spans, /api/v1/spans or ${OTLP_PATH}`, count);
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return reply(res, 405, 'method not allowed: use POST', count);
    }
    let encoding: OtlpEncoding | undefined;
    if (path === OTLP_PATH) {
      encoding = otlpBodyEncoding(req.headers['content-type']);
      if (encoding === undefined) {
        req.resume();
        return reply(res, 415, 'unsupported content-type: OTLP/HTTP takes application/x-protobuf or application/json', count);
      }
    }
    const otlp = encoding;
    void (async () => {
      let body = await readBody(req, opts.maxBodyBytes);
      if (body === 'too_large') return reply(res, 413, `body larger than ${opts.maxBodyBytes} bytes`, count);
      if ((req.headers['content-encoding'] ?? '').toLowerCase() === 'gzip') {
        const out = await gunzipLimited(body, opts.maxBodyBytes);
        if (out === 'too_large') return reply(res, 413, `decompressed body larger than ${opts.maxBodyBytes} bytes`, count);
        if (out === 'bad_gzip') return reply(res, 400, 'body is not valid gzip', count);
        body = out;
      }
      let decoded: DecodedMessage;
      try {
        decoded = await submit(body, otlp);
      } catch (err) {
        if (otlp !== undefined) return otlpReply(res, otlp, 503, undefined, (err as Error).message, count);
        return reply(res, 503, (err as Error).message, count);
      }
      if (otlp !== undefined) {
        if (decoded.spans === 0 && decoded.errors > 0)
          return otlpReply(res, otlp, 400, undefined, `no span could be decoded: ${decoded.firstError ?? 'unknown error'}`, count);
        return otlpReply(res, otlp, 200, decoded.errors, decoded.firstError ?? '', count);
      }
      if (decoded.spans === 0 && decoded.errors > 0)
        return reply(res, 400, `no span could be decoded: ${decoded.firstError ?? 'unknown error'}`, count);
      reply(res, 202, '', count);
    })().catch((err: Error) => reply(res, 500, err.message, count));
  });
  return listen(server, opts.host, opts.port, 'HTTP span collector (--http-port, --http-host)');
}
