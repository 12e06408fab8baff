/**
 * The OTLP mapping oracle, without servers: the OpenTelemetry Python SDK makes spans of every
 * kind, status and attribute type, with events, links, dropped counts and resource attributes; its
 * own OTLP encoder gives the bytes tracefold decodes, and its own Zipkin exporter gives the
 * expected Zipkin JSON v2. Both go through tracefold's normalisation; they must be equal span for
 * span, except `debug` (the exporter writes the sampled flag there; tracefold does not force
 * sampling) and the remote endpoint the exporter never derives (checked against the spec's ranking).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeMessage } from '../../../core/codec/decode/index.js';
import { decodeJsonV2 } from '../../../core/codec/decode/json-v2.js';
import type { Span } from '../../../core/model/span.js';
import { otelOracle } from '../../helpers/otel.js';
import { present } from '../../helpers/spans.js';

test('the SDK OTLP request decodes to what the SDK Zipkin exporter writes', () => {
  const oracle = otelOracle('unit');
  const got = decodeMessage(oracle.otlpProto);
  assert.equal(got.encoding, 'otlp-proto', 'detected as OTLP from the bytes alone');
  assert.deepEqual(got.errors, []);
  const expected = decodeJsonV2(Buffer.from(JSON.stringify(oracle.zipkinJson)));
  assert.deepEqual(expected.errors, []);
  assert.equal(got.spans.length, 6);
  const byId = new Map(expected.spans.map((s) => [s.id, s]));
  const remote = new Map<string, unknown>();
  for (const s of got.spans) {
    const { remoteEndpoint, ...rest } = s;
    const want = { ...(byId.get(s.id) as Span) };
    delete want.debug;
    assert.deepEqual(present(rest), present(want), `span ${s.name}`);
    remote.set(s.name as string, present(remoteEndpoint));
  }
  assert.deepEqual(Object.fromEntries(remote), {
    'root-server': undefined,
    'client-call': { serviceName: 'payments' },
    produce: { serviceName: 'kafka.internal', port: 9092 },
    consume: undefined,
    'internal-work': undefined,
    'second-trace-client': { ipv4: '10.1.2.3', port: 5432 },
  });
  const kinds = got.spans.map((s) => s.kind ?? 'none').sort();
  assert.deepEqual(kinds, ['CLIENT', 'CLIENT', 'CONSUMER', 'PRODUCER', 'SERVER', 'none']);
});

test('a corrupted SDK request keeps the spans before the damage and reports it', () => {
  const { otlpProto } = otelOracle('cut');
  const cut = otlpProto.subarray(0, Math.floor(otlpProto.length * 0.8));
  const r = decodeMessage(cut, 'otlp-proto');
  assert.ok(r.errors.length > 0);
  assert.ok(r.spans.length > 0 && r.spans.length < 6, `kept ${r.spans.length} spans`);
});
