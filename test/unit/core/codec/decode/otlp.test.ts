/**
 * OTLP decoding: Python-compatible value rendering, the JSON form, salvage of partly bad requests,
 * and the detection proof: no Zipkin Proto3 message is taken for OTLP, on the real shared traces
 * and on randomised spans (the SDK's own OTLP bytes are checked in test/integration/decode/otlp-oracle.test.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeOtlpRequest } from '../../../../../bench/otlp-corpus.js';
import { detect, isOtlpProto } from '../../../../../core/codec/decode/detect.js';
import { decodeMessage } from '../../../../../core/codec/decode/index.js';
import { decodeOtlpJson } from '../../../../../core/codec/decode/otlp-json.js';
import { decimalNanosToMicros, eventValue, nanosToMicros, pyFloat, tagValue } from '../../../../../core/codec/decode/otlp-map.js';
import { decodeOtlpProto } from '../../../../../core/codec/decode/otlp-proto.js';
import { encodeProto3 } from '../../../../../core/codec/encode/proto3.js';
import type { Span } from '../../../../../core/model/span.js';
import { createPrng } from '../../../../helpers/prng.js';
import { present } from '../../../../helpers/spans.js';
import { copyTrace, sharedTraces } from '../../../../helpers/traffic.js';

test('doubles render as Python repr, ints and bools as Python str, arrays as compact JSON lists', () => {
  assert.equal(pyFloat(1, false), '1.0');
  assert.equal(pyFloat(0.25, false), '0.25');
  assert.equal(pyFloat(1e21, false), '1e+21');
  assert.equal(pyFloat(1e16, false), '1e+16');
  assert.equal(pyFloat(123456789012345.6, false), '123456789012345.6');
  assert.equal(pyFloat(1.5e-7, false), '1.5e-07');
  assert.equal(pyFloat(0.0001, false), '0.0001');
  assert.equal(pyFloat(-2.5, false), '-2.5');
  assert.equal(pyFloat(Number.NaN, true), 'NaN');
  assert.equal(pyFloat(Number.NEGATIVE_INFINITY, false), '-inf');
  assert.equal(tagValue(9007199254740993n), '9007199254740993');
  assert.equal(tagValue(true), 'true');
  assert.equal(tagValue(['a', 'é', 1n, 2.0, false, null]), '["a","\\u00e9","1","2.0","false",null]');
  assert.equal(tagValue(null), undefined);
  assert.equal(
    eventValue('retry', {
      kv: [
        ['z', 1n],
        ['a', [1n, 'x']],
      ],
    }),
    '{"retry": {"a": [1, "x"], "z": 1}}',
  );
});

test('nanoseconds round half up to microseconds, exactly beyond 2^53', () => {
  const ns = 1796393354164014499n;
  const hi = Number(ns >> 32n);
  const lo = Number(ns & 0xffffffffn);
  assert.equal(nanosToMicros(hi, lo), 1796393354164014);
  assert.equal(nanosToMicros(Number((ns + 1n) >> 32n), Number((ns + 1n) & 0xffffffffn)), 1796393354164015);
  assert.equal(decimalNanosToMicros('1796393354164014500'), 1796393354164015);
  assert.equal(decimalNanosToMicros('499'), 0);
  assert.ok(Number.isNaN(decimalNanosToMicros('-1')));
});

const TRACE = '5b8efff798038103d269b633813fc60c';
const jsonRequest = (spans: unknown[]): Buffer =>
  Buffer.from(
    JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'Checkout' } }] },
          scopeSpans: [{ scope: { name: 'lib', version: '1' }, spans }],
        },
      ],
    }),
  );

test('OTLP JSON maps kind, status, attributes, events and the remote endpoint', () => {
  const body = jsonRequest([
    {
      traceId: TRACE,
      spanId: 'eee19b7ec3c1b174',
      parentSpanId: 'eee19b7ec3c1b173',
      name: 'GET /cart',
      kind: 3,
      startTimeUnixNano: '1544712660000000000',
      endTimeUnixNano: '1544712661000000499',
      attributes: [
        { key: 'server.address', value: { stringValue: '10.0.0.7' } },
        { key: 'server.port', value: { intValue: '8080' } },
        { key: 'ratio', value: { doubleValue: 2 } },
        { key: 'list', value: { arrayValue: { values: [{ intValue: 1 }, { boolValue: true }] } } },
      ],
      events: [{ timeUnixNano: '1544712660500000000', name: 'cache.miss', attributes: [{ key: 'k', value: { stringValue: 'v' } }] }],
      status: { code: 2, message: 'boom' },
      droppedLinksCount: 3,
    },
  ]);
  assert.equal(detect(body).kind === 'list' && (detect(body) as { encoding: string }).encoding, 'otlp-json');
  const r = decodeMessage(body);
  assert.deepEqual(r.errors, []);
  assert.equal(r.encoding, 'otlp-json');
  const s = r.spans[0] as Span;
  assert.equal(s.traceId, TRACE);
  assert.equal(s.parentId, 'eee19b7ec3c1b173');
  assert.equal(s.kind, 'CLIENT');
  assert.equal(s.name, 'get /cart');
  assert.equal(s.timestamp, 1544712660000000);
  assert.equal(s.duration, 1000000);
  assert.deepEqual(present(s.localEndpoint), { serviceName: 'checkout' });
  assert.deepEqual(present(s.remoteEndpoint), { ipv4: '10.0.0.7', port: 8080 });
  assert.deepEqual(s.annotations, [{ timestamp: 1544712660500000, value: '{"cache.miss": {"k": "v"}}' }]);
  assert.equal(s.tags?.ratio, '2.0');
  assert.equal(s.tags?.list, '["1","true"]');
  assert.equal(s.tags?.error, 'boom');
  assert.equal(s.tags?.['otel.status_code'], 'ERROR');
  assert.equal(s.tags?.['otel.dropped_links_count'], '3');
  assert.equal(s.tags?.['otel.scope.name'], 'lib');
  assert.equal(s.tags?.['service.name'], 'Checkout');
});

test('a partly bad OTLP request keeps its good spans and reports the bad one', () => {
  const r = decodeOtlpJson(
    jsonRequest([
      { traceId: TRACE, spanId: 'eee19b7ec3c1b174', name: 'good', kind: 'SPAN_KIND_SERVER' },
      { traceId: 'zz', spanId: 'eee19b7ec3c1b175', name: 'bad' },
      'not a span',
      { traceId: TRACE, spanId: 'eee19b7ec3c1b176', name: 'also-good', kind: 1 },
    ]),
  );
  assert.deepEqual(
    r.spans.map((s) => [s.name, s.kind]),
    [
      ['good', 'SERVER'],
      ['also-good', undefined],
    ],
  );
  assert.deepEqual(
    r.errors.map((e) => [e.index, e.code]),
    [
      [1, 'invalid_id'],
      [2, 'invalid_field'],
    ],
  );
  assert.equal(r.spans[1]?.localEndpoint?.serviceName, 'checkout');
});

test('a bare JSON object that is not an OTLP request is still refused', () => {
  assert.equal(detect(Buffer.from('{"traceId":"a"}')).kind, 'unknown');
});

test('no Zipkin Proto3 list is detected as OTLP: real shared traces and randomised spans', () => {
  const prng = createPrng(7);
  let messages = 0;
  for (const t of sharedTraces()) {
    for (let copy = 0; copy < 20; copy++) {
      const spans = copyTrace(t.spans, prng);
      const bytes = encodeProto3(spans);
      assert.equal(isOtlpProto(bytes), false, `${t.name} copy ${copy}`);
      assert.equal(decodeMessage(bytes).encoding, 'proto3');
      // Spans reduced to their IDs: the shape closest to a ResourceSpans.
      const bare = spans.map((s) => ({ traceId: s.traceId, id: s.id, ...(s.parentId ? { parentId: s.parentId } : {}) }));
      assert.equal(isOtlpProto(encodeProto3(bare)), false, `${t.name} IDs only`);
      messages += 2;
    }
  }
  assert.ok(messages > 100);
});

test('damaged OTLP protobuf never throws: flipped bytes and truncation cost spans, not the decoder', () => {
  const prng = createPrng(3);
  const spans = sharedTraces().flatMap((t) => copyTrace(t.spans, prng));
  const clean = encodeOtlpRequest(spans);
  assert.equal(decodeOtlpProto(clean).spans.length, spans.length, 'the undamaged request decodes whole');
  let salvaged = 0;
  for (let i = 0; i < 300; i++) {
    const bytes = Uint8Array.from(clean);
    for (let k = 0; k < 3; k++) bytes[Math.floor(prng.next() * bytes.length)] = Math.floor(prng.next() * 256);
    const cut = i % 3 === 0 ? bytes.subarray(0, Math.floor(prng.next() * bytes.length)) : bytes;
    const r = decodeOtlpProto(cut); // not via decodeMessage, whose catch would hide a throw
    for (const s of r.spans) assert.match(s.traceId, /^([0-9a-f]{16}|[0-9a-f]{32})$/);
    if (r.errors.length > 0 && r.spans.length > 0) salvaged++;
  }
  assert.ok(salvaged > 50, `good spans kept beside errors in ${salvaged} of 300 damaged requests`);
});
