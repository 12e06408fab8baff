/**
 * OTLP/HTTP on the intake port: content types, gzip, full and partial success, and the error
 * answers the OTLP/HTTP specification prescribes. The pipeline is stood in for by the decoder
 * itself (the submit callback), so the counts the answers carry are real decode results.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { decodeMessage } from '../../../../../core/codec/decode/index.js';
import type { Encoding } from '../../../../../core/model/span.js';
import { startIntake } from '../../../../../src/source/http/intake.js';
import type { DecodedMessage } from '../../../../../workers/protocol.js';

let url = '';
let accepting = true;
const seen: (Encoding | undefined)[] = [];
let close: () => void = () => {};

before(async () => {
  const server = await startIntake(
    { host: '127.0.0.1', port: 0, maxBodyBytes: 1 << 20 },
    async (body, encoding): Promise<DecodedMessage> => {
      if (!accepting) throw new Error('shutting down: not accepting spans');
      seen.push(encoding);
      const r = decodeMessage(body, encoding);
      const d: DecodedMessage = { type: 'decoded', batchId: 1, units: r.spans.length, spans: r.spans.length, errors: r.errors.length };
      if (r.errors[0]) d.firstError = `${r.errors[0].code}: ${r.errors[0].reason}`;
      return d;
    },
    () => {},
  );
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
  close = () => server.close();
});
after(() => close());

const TRACE = '5b8efff798038103d269b633813fc60c';
const request = (spans: unknown[]): string =>
  JSON.stringify({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: 's' }, spans }] }] });
const good = { traceId: TRACE, spanId: 'eee19b7ec3c1b174', name: 'a', kind: 2 };

test('JSON with every span good: 200 and an empty ExportTraceServiceResponse', async () => {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: request([good]) });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/json');
  assert.deepEqual(await res.json(), {});
  assert.equal(seen.at(-1), 'otlp-json');
});

test('gzip JSON with one bad span: 200 with partial success naming the rejected count', async () => {
  const body = gzipSync(request([good, { traceId: 'nothex', spanId: 'eee19b7ec3c1b175' }]));
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body });
  assert.equal(res.status, 200);
  const j = (await res.json()) as { partialSuccess: { rejectedSpans: string; errorMessage: string } };
  assert.equal(j.partialSuccess.rejectedSpans, '1');
  assert.match(j.partialSuccess.errorMessage, /traceId/);
});

test('protobuf that decodes to nothing: 400 with a google.rpc.Status (INVALID_ARGUMENT)', async () => {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf' },
    body: Buffer.from([0x0a, 0x7f, 1]),
  });
  assert.equal(res.status, 400);
  assert.equal(res.headers.get('content-type'), 'application/x-protobuf');
  const b = Buffer.from(await res.arrayBuffer());
  assert.deepEqual([...b.subarray(0, 2)], [0x08, 3]);
  assert.equal(seen.at(-1), 'otlp-proto');
});

test('an empty protobuf request is a full success with an empty body', async () => {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: Buffer.alloc(0) });
  assert.equal(res.status, 200);
  assert.equal((await res.arrayBuffer()).byteLength, 0);
});

test('an unsupported content type is 415; a node that is stopping answers 503 with Retry-After', async () => {
  const r415 = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
  assert.equal(r415.status, 415);
  await r415.text();
  accepting = false;
  try {
    const r503 = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: request([good]) });
    assert.equal(r503.status, 503);
    assert.equal(r503.headers.get('retry-after'), '1');
    assert.equal(((await r503.json()) as { code: number }).code, 14);
  } finally {
    accepting = true;
  }
});
