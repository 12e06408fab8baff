/**
 * Shared inputs for the JSON v2 / Proto3 codec tests: the real traces in shared/testdata and the
 * spans of Zipkin's own encoder tests (zipkin2.codec.SpanBytesEncoderTest, zipkin 3.x), whose
 * expected JSON strings and Proto3 sizes the encoder tests reproduce.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Endpoint, Span } from '../../../../core/model/span.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The shared real traces (override with ZIPKIN_V2_TESTDATA when the checkout lives elsewhere). */
export const TESTDATA = process.env.TRACEFOLD_SAMPLES ?? join(here, '../../../../../shared/testdata/zipkin-v2');

export interface Trace {
  name: string;
  /** The file as a JSON v2 list message (single-span files are wrapped in [ ]). */
  bytes: Uint8Array;
  /** The number of spans in the file. */
  count: number;
}

export function loadTraces(): Trace[] {
  return readdirSync(TESTDATA)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((name) => {
      let text = readFileSync(join(TESTDATA, name), 'utf8');
      if (!text.trimStart().startsWith('[')) text = `[${text}]`;
      const count = (JSON.parse(text) as unknown[]).length;
      return { name, bytes: new Uint8Array(Buffer.from(text, 'utf8')), count };
    });
}

export function loadTrace(name: string): Trace {
  const t = loadTraces().find((x) => x.name === name);
  if (t === undefined) throw new Error(`no test trace ${name}`);
  return t;
}

// zipkin2.TestObjects
export const FRONTEND: Endpoint = { serviceName: 'frontend', ipv4: '127.0.0.1' };
export const BACKEND: Endpoint = { serviceName: 'backend', ipv4: '192.168.99.101', port: 9000 };

/** SpanBytesEncoderTest.SPAN */
export const ZIPKIN_SPAN: Span = {
  traceId: '7180c278b62e8f6a216a2aea45d08fc9',
  parentId: '6b221d5bc9e6496c',
  id: '5b4185666d50f68b',
  kind: 'CLIENT',
  name: 'get',
  timestamp: 1472470996199000,
  duration: 207000,
  localEndpoint: FRONTEND,
  remoteEndpoint: BACKEND,
  annotations: [
    { timestamp: 1472470996238000, value: 'foo' },
    { timestamp: 1472470996403000, value: 'bar' },
  ],
  tags: { 'clnt/finagle.version': '6.45.0', 'http.path': '/api' },
};

/** SpanBytesEncoderTest.UTF8_SPAN: JSON-special characters everywhere. */
export const ZIPKIN_UTF8_SPAN: Span = {
  traceId: '0000000000000001',
  id: '0000000000000001',
  name: '"\\\t\b\n\r\f',
  annotations: [{ timestamp: 1, value: '\u2028 and \u2029' }],
  tags: { '"foo': 'Database error: ORA-00942:\u2028 and \u2029 table or view does not exist\n' },
};

/** SpanBytesEncoderTest.NO_ANNOTATIONS_ROOT_SERVER_SPAN */
export const ZIPKIN_ROOT_SERVER_SPAN: Span = {
  traceId: 'dc955a1d4768875d',
  id: 'dc955a1d4768875d',
  kind: 'SERVER',
  name: 'get',
  timestamp: 1510256710021866,
  duration: 1117,
  localEndpoint: { serviceName: 'isao01', ipv4: '10.23.14.72' },
  tags: { 'http.path': '/rs/A', location: 'T67792', other: 'A' },
};

/** SpanBytesEncoderTest.LOCAL_SPAN */
export const ZIPKIN_LOCAL_SPAN: Span = {
  traceId: 'dc955a1d4768875d',
  id: 'dc955a1d4768875d',
  name: 'encode',
  timestamp: 1510256710021866,
  duration: 1117,
  localEndpoint: { serviceName: 'isao01', ipv4: '10.23.14.72' },
};

/** SpanBytesEncoderTest.ERROR_SPAN */
export const ZIPKIN_ERROR_SPAN: Span = {
  traceId: 'dc955a1d4768875d',
  id: 'dc955a1d4768875d',
  kind: 'CLIENT',
  localEndpoint: { serviceName: 'isao01' },
  tags: { error: '' },
};

/** `span_minimum` */
export const ZIPKIN_MINIMUM_SPAN: Span = { traceId: '7180c278b62e8f6a216a2aea45d08fc9', id: '5b4185666d50f68b' };

/** A copy of `span` with some fields replaced (undefined removes the field). */
export function withFields(span: Span, fields: Partial<Record<keyof Span, unknown>>): Span {
  const out: Record<string, unknown> = { ...span };
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out as unknown as Span;
}
