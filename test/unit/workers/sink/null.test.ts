import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NullSink } from '../../../../workers/sink/null.js';

describe('NullSink', () => {
  it('resolves everything written in one tick with one aggregated callback, and counts it', async () => {
    const calls: [number[], number[]][] = [];
    const sink = new NullSink<null>({ onResolved: (b, c) => calls.push([b, c]), onDeadLetter: () => assert.fail('no dead letters') });
    sink.write({ lines: 'a\nb\n', batchId: 1, units: 1, ref: null });
    sink.write({ lines: 'c\nd\n', batchId: 2, units: 2, ref: null });
    sink.write({ lines: 'e\nf\n', batchId: 1, units: 0, ref: null });
    assert.equal(sink.pendingEntries, 3);
    await sink.drain();
    assert.deepEqual(calls, [
      [
        [1, 2],
        [1, 2],
      ],
    ]);
    assert.deepEqual([sink.entries, sink.units, sink.bytes, sink.pendingEntries], [3, 3, 12, 0]);
  });
});
