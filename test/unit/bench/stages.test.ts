import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keyedBatches } from '../../../bench/stages.js';
import { decodeProto3 } from '../../../core/codec/decode/proto3.js';
import type { Span } from '../../../core/model/span.js';
import { shardOf } from '../../../workers/assemble/shard.js';

const trace = (n: number, spans: number): Span[] =>
  Array.from({ length: spans }, (_, i) => ({ traceId: n.toString(16).padStart(16, '0'), id: (i + 1).toString(16).padStart(16, '0') }));

describe('keyedBatches (stage-2 bench input)', () => {
  it('puts each trace whole, as one Proto3 record, in the partition of its key', () => {
    const traces = Array.from({ length: 200 }, (_, n) => trace(n + 1, 1 + (n % 5)));
    const batches = keyedBatches(traces, 12, 7);
    let spans = 0;
    for (const b of batches) {
      let start = 0;
      for (const end of b.ends) {
        const decoded = decodeProto3(b.data.subarray(start, end));
        const ids = new Set(decoded.spans.map((s) => s.traceId));
        assert.equal(ids.size, 1, 'one trace per record');
        const id = [...ids][0] as string;
        assert.equal(shardOf(id, 12), b.partition);
        assert.equal(decoded.spans.length, traces.find((t) => t[0]?.traceId === id)?.length);
        spans += decoded.spans.length;
        start = end;
      }
      assert.ok(b.messages <= 7);
    }
    assert.equal(
      spans,
      traces.reduce((n, t) => n + t.length, 0),
    );
    // Interleaved: the first batches come from different partitions.
    assert.ok(new Set(batches.slice(0, 12).map((b) => b.partition)).size > 6);
  });
});
