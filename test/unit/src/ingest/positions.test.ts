import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConsumePositions } from '../../../../src/ingest/positions.js';
import type { RawBatch } from '../../../../src/source/kafka/consumer.js';

/** A batch of records at `offsets`, each value 10 bytes. */
function batch(partition: number, offsets: number[]): RawBatch {
  return {
    topic: 't',
    partition,
    data: new ArrayBuffer(offsets.length * 10),
    ends: Uint32Array.from(offsets.map((_, i) => (i + 1) * 10)),
    offsets: Float64Array.from(offsets),
    times: new Float64Array(offsets.length),
    firstOffset: offsets[0] as number,
    lastOffset: offsets[offsets.length - 1] as number,
    bytes: offsets.length * 10,
  };
}

describe('ConsumePositions', () => {
  it('passes batches through untouched outside a replay', () => {
    const p = new ConsumePositions();
    const b = batch(0, [5, 6]);
    assert.deepEqual(p.clip(b), { batch: b, reachedEnd: false });
    assert.equal(p.rangesConsumed(), true);
    assert.equal(p.nextOffset('t', 0), undefined);
    p.consumed('t', 0, 7);
    assert.equal(p.nextOffset('t', 0), 7);
  });

  it('clips a replay batch at its range end and says when to stop fetching', () => {
    const p = new ConsumePositions([{ topic: 't', partition: 0, start: 0, end: 8 }]);
    const below = batch(0, [0, 1, 2]);
    assert.deepEqual(p.clip(below), { batch: below, reachedEnd: false });
    const across = p.clip(batch(0, [5, 6, 7, 8, 9]));
    assert.equal(across.reachedEnd, true);
    assert.deepEqual([...(across.batch?.offsets ?? [])], [5, 6, 7]);
    assert.deepEqual([...(across.batch?.ends ?? [])], [10, 20, 30]);
    assert.equal(across.batch?.lastOffset, 7);
    assert.equal(across.batch?.bytes, 30);
    assert.deepEqual(p.clip(batch(0, [8, 9])), { batch: undefined, reachedEnd: true });
    const endsExactly = batch(0, [6, 7]);
    assert.deepEqual(p.clip(endsExactly), { batch: endsExactly, reachedEnd: true });
  });

  it('reports progress and is consumed once every range reached its end', () => {
    const p = new ConsumePositions([
      { topic: 't', partition: 0, start: 10, end: 20 },
      { topic: 't', partition: 1, start: 0, end: 0 },
    ]);
    assert.equal(p.rangesConsumed(), false);
    assert.deepEqual(
      p.progress().map((r) => r.next),
      [10, 0],
    );
    p.consumed('t', 0, 15);
    assert.equal(p.progress()[0]?.next, 15);
    p.consumed('t', 0, 20);
    assert.equal(p.rangesConsumed(), true);
  });
});
