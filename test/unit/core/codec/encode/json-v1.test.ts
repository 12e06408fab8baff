import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { decodeJsonV1 } from '../../../../../core/codec/decode/json-v1.js';
import { encodeJsonV1 } from '../../../../../core/codec/encode/json-v1.js';
import type { Span } from '../../../../../core/model/span.js';
import { ALLOWED_ROUND_TRIP_CHANGES, changedKeys, plain, throughV1, v2Inputs } from '../fixtures/roundtrip.js';
import { loadGolden } from '../fixtures/zipkin-cases.js';

const golden = loadGolden();
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('encodeJsonV1 is byte-compatible with Zipkin (SpanBytesEncoder.JSON_V1)', () => {
  for (const { name, spans } of v2Inputs()) {
    it(name, () => {
      const ours = Buffer.from(encodeJsonV1(spans));
      const g = golden[name];
      // Large outputs are kept in the golden file as a SHA-256 only.
      if (g?.jsonV1Sha256 !== undefined) {
        assert.equal(createHash('sha256').update(ours).digest('hex'), g.jsonV1Sha256);
        return;
      }
      assert.ok(g?.jsonV1 !== undefined, name);
      let theirs = Buffer.from(g.jsonV1, 'hex');
      if (name === 'v2:converter corner cases') {
        // Zipkin's JsonEscaper sizes U+2028/U+2029 as 8 bytes instead of 6 when the string also
        // holds other non-ASCII characters, and leaves the extra bytes as NULs after the closing
        // bracket. We size exactly; the JSON before the NULs is identical.
        const end = theirs.lastIndexOf(0x5d) + 1;
        assert.ok(theirs.subarray(end).every((b) => b === 0));
        theirs = theirs.subarray(0, end);
      }
      assert.equal(ours.toString('hex'), theirs.toString('hex'));
    });
  }
});

describe('JSON v1 round trip: encodeJsonV1 then decodeJsonV1', () => {
  for (const { name, spans } of v2Inputs()) {
    it(name, () => {
      const r = decodeJsonV1(encodeJsonV1(spans));
      assert.deepEqual(r.errors, []);
      // Expected side through the same v2 → v1 → v2 normalisation Zipkin applies.
      assert.deepEqual(plain(r.spans), plain(throughV1(spans)));
      // And against the input itself: identical for real traces; only the documented v1 losses
      // for the corner cases.
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

describe('encodeJsonV1 details', () => {
  const span: Span = { traceId: '0000000000000001', id: '0000000000000002', timestamp: 1, localEndpoint: { serviceName: 's' } };

  it('writes [] for no spans', () => {
    assert.equal(text(encodeJsonV1([])), '[]');
  });

  it('escapes like Zipkin and writes an unpaired surrogate as "?"', () => {
    const out = text(encodeJsonV1([{ ...span, name: 'a"b\\c\n\u0000\u001f\u2028/\ud800x\udc00' }]));
    assert.ok(out.includes('"name":"a\\"b\\\\c\\n\\u0000\\u001f\\u2028/?x?"'), out);
    assert.ok(Array.isArray(JSON.parse(out)));
  });

  it('always writes the name and the serviceName, even empty', () => {
    assert.equal(
      text(
        encodeJsonV1([
          { traceId: '0000000000000001', id: '0000000000000002', timestamp: 5, duration: 7, localEndpoint: { ipv4: '1.2.3.4' } },
        ]),
      ),
      '[{"traceId":"0000000000000001","id":"0000000000000002","name":"","timestamp":5,"duration":7,"binaryAnnotations":[{"key":"lc","value":"","endpoint":{"serviceName":"","ipv4":"1.2.3.4"}}]}]',
    );
  });

  it('writes large spans and many of them exactly sized', () => {
    const big = 'é'.repeat(300_000);
    const spans: Span[] = [];
    for (let i = 1; i <= 2000; i++) spans.push({ ...span, id: i.toString(16).padStart(16, '0'), tags: { k: i === 7 ? big : `v${i}` } });
    const r = decodeJsonV1(encodeJsonV1(spans));
    assert.equal(r.spans.length, 2000);
    assert.equal(r.spans[6]?.tags?.k, big);
  });
});
