import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { decodeThriftList } from '../../../../../core/codec/decode/thrift.js';
import { encodeThrift } from '../../../../../core/codec/encode/thrift.js';
import type { Span } from '../../../../../core/model/span.js';
import { present } from '../../../../helpers/spans.js';
import { ALLOWED_ROUND_TRIP_CHANGES, changedKeys, plain, throughV1, v2Inputs } from '../fixtures/roundtrip.js';
import { loadGolden } from '../fixtures/zipkin-cases.js';

const golden = loadGolden();
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('encodeThrift is byte-compatible with Zipkin (SpanBytesEncoder.THRIFT)', () => {
  for (const { name, spans } of v2Inputs()) {
    it(name, () => {
      const ours = encodeThrift(spans);
      const g = golden[name];
      // Large outputs are kept in the golden file as a SHA-256 only.
      if (g?.thriftSha256 !== undefined) assert.equal(createHash('sha256').update(ours).digest('hex'), g.thriftSha256);
      else assert.equal(hex(ours), g?.thrift);
    });
  }
});

describe('Thrift round trip: encodeThrift then decodeThriftList', () => {
  for (const { name, spans } of v2Inputs()) {
    it(name, () => {
      const r = decodeThriftList(encodeThrift(spans));
      assert.deepEqual(r.errors, []);
      // Expected side through the same v2 → v1 → v2 normalisation Zipkin applies.
      assert.deepEqual(plain(r.spans), plain(throughV1(spans)));
      assert.equal(r.spans.length, spans.length);
      spans.forEach((input, i) => {
        const changed = changedKeys(input, r.spans[i] as Span);
        assert.deepEqual(
          changed,
          name.startsWith('v2:converter') ? (ALLOWED_ROUND_TRIP_CHANGES[input.id] ?? []) : [],
          `${name} span ${input.id}`,
        );
      });
    });
  }
});

describe('encodeThrift details', () => {
  const span: Span = { traceId: 'ffffffffffffffff', id: '8000000000000000', parentId: '0000000000000001', name: 'n' };

  it('encodes no spans as no bytes, as Zipkin', () => {
    assert.equal(encodeThrift([]).length, 0);
  });

  it('keeps all 64 bits of IDs and 53 bits of times', () => {
    const r = decodeThriftList(encodeThrift([{ ...span, timestamp: 2 ** 53 - 1, duration: 2 ** 40 + 3 }]));
    assert.deepEqual(r.errors, []);
    assert.equal(r.spans[0]?.traceId, 'ffffffffffffffff');
    assert.equal(r.spans[0]?.id, '8000000000000000');
    assert.equal(r.spans[0]?.timestamp, 2 ** 53 - 1);
    assert.equal(r.spans[0]?.duration, 2 ** 40 + 3);
  });

  it('writes endpoints with ipv4, unsigned port, ipv6 bytes', () => {
    const local = { serviceName: 'svc', ipv4: '255.0.10.1', ipv6: '2001:db8::c001', port: 65535 };
    const r = decodeThriftList(encodeThrift([{ ...span, timestamp: 1, localEndpoint: local, remoteEndpoint: { ipv6: '::1' } }]));
    assert.deepEqual(r.spans[0]?.localEndpoint, local);
    assert.deepEqual(present(r.spans[0]?.remoteEndpoint), { ipv6: '::1' });
  });

  it('writes an unpaired surrogate as "?" and sizes it as 1 byte', () => {
    const r = decodeThriftList(encodeThrift([{ ...span, timestamp: 1, tags: { k: 'a\udc00b\ud83d' } }]));
    assert.equal(r.spans[0]?.tags?.k, 'a?b?');
  });

  it('writes many spans and long strings exactly sized', () => {
    const big = '字'.repeat(200_000);
    const spans: Span[] = [];
    for (let i = 1; i <= 2000; i++)
      spans.push({
        ...span,
        id: i.toString(16).padStart(16, '0'),
        timestamp: i,
        annotations: [{ timestamp: i, value: i === 9 ? big : 'a' }],
        localEndpoint: { serviceName: 's' },
      });
    const r = decodeThriftList(encodeThrift(spans));
    assert.equal(r.spans.length, 2000);
    assert.equal(r.spans[8]?.annotations?.[0]?.value, big);
  });
});
