import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeProto3 } from '../../../../core/codec/decode/proto3.js';
import type { Span } from '../../../../core/model/span.js';
import { TraceGrouper } from '../../../../workers/rekey/group.js';

const span = (traceId: string, id: string): Span => ({ traceId, id, name: 'get', timestamp: 1_700_000_000_000_000, duration: 5 });

describe('TraceGrouper', () => {
  it('makes one Proto3 record per trace key, keyed by the lower 64 bits', () => {
    const g = new TraceGrouper();
    g.add(span('00000000000000aa', '0000000000000001'));
    g.add(span('00000000000000bb', '0000000000000002'));
    // The 128-bit form of trace aa: meets its 64-bit spans in one record.
    g.add(span('123456789abcdef000000000000000aa', '0000000000000003'));
    assert.equal(g.size, 2);
    const out = g.take();
    assert.ok(out);
    assert.deepEqual(out.keys, ['00000000000000aa', '00000000000000bb']);
    assert.equal(out.spans, 3);
    const bytes = new Uint8Array(out.data);
    const first = decodeProto3(bytes.subarray(0, out.ends[0]));
    const second = decodeProto3(bytes.subarray(out.ends[0], out.ends[1]));
    assert.deepEqual(
      first.spans.map((s) => s.id),
      ['0000000000000001', '0000000000000003'],
    );
    assert.equal(first.spans[1]?.traceId, '123456789abcdef000000000000000aa');
    assert.deepEqual(
      second.spans.map((s) => s.traceId),
      ['00000000000000bb'],
    );
    assert.equal(out.ends[1], bytes.length);
  });

  it('starts over after take, and has nothing to take when empty', () => {
    const g = new TraceGrouper();
    assert.equal(g.take(), undefined);
    g.add(span('00000000000000aa', '0000000000000001'));
    assert.equal(g.take()?.keys.length, 1);
    assert.equal(g.size, 0);
    assert.equal(g.take(), undefined);
  });
});
