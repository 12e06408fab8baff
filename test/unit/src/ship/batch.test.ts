import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeMessage } from '../../../../core/codec/decode/index.js';
import type { Span } from '../../../../core/model/span.js';
import { KeyedBatcher, traceKey } from '../../../../src/ship/batch.js';
import { traceHash } from '../../../../workers/assemble/shard.js';

function span(traceId: string, id: string): Span {
  return { traceId, id, name: 'op', timestamp: 1_700_000_000_000_000, duration: 10, localEndpoint: { serviceName: 'svc' } } as Span;
}

describe('ship traceKey', () => {
  it('is the lower 64 bits, so a 128-bit ID and its 64-bit form share a key (and a shard)', () => {
    assert.equal(traceKey('463ac35c9f6413ad48485a3953bb6124'), '48485a3953bb6124');
    assert.equal(traceKey('48485a3953bb6124'), '48485a3953bb6124');
    assert.equal(traceKey('ABC'), '0000000000000abc');
    assert.equal(traceHash(traceKey('463ac35c9f6413ad48485a3953bb6124')), traceHash('463ac35c9f6413ad48485a3953bb6124'));
  });
});

describe('ship KeyedBatcher', () => {
  it('emits one message per trace key whose value decodes back to exactly that trace', () => {
    const b = new KeyedBatcher({ maxSpans: 100 });
    b.add([span('463ac35c9f6413ad48485a3953bb6124', '0000000000000001'), span('00000000000000000000000000000002', '0000000000000002')]);
    b.add([span('48485a3953bb6124', '0000000000000003')]);
    assert.equal(b.size, 3);
    const out = b.drain();
    assert.equal(b.size, 0);
    assert.equal(out.length, 2);
    const byKey = new Map(out.map((m) => [m.key, m]));
    const m1 = byKey.get('48485a3953bb6124');
    assert.ok(m1);
    assert.equal(m1.spans, 2);
    const decoded = decodeMessage(m1.value);
    assert.equal(decoded.encoding, 'json-v2');
    assert.deepEqual(decoded.errors, []);
    assert.deepEqual(decoded.spans.map((s) => s.id).sort(), ['0000000000000001', '0000000000000003']);
    assert.equal(byKey.get('0000000000000002')?.spans, 1);
    assert.deepEqual(b.drain(), []);
  });

  it('signals a flush when the span bound is reached (bounded memory)', () => {
    const b = new KeyedBatcher({ maxSpans: 3 });
    assert.equal(b.add([span('01', '0000000000000001')]), false);
    assert.equal(b.add([span('02', '0000000000000002'), span('03', '0000000000000003')]), true);
    assert.throws(() => new KeyedBatcher({ maxSpans: 0 }), RangeError);
  });
});
