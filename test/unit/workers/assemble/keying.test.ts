import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PartitionSpread } from '../../../../workers/assemble/keying.js';

describe('PartitionSpread', () => {
  it('reports a trace met on a second partition, once', () => {
    const s = new PartitionSpread();
    assert.equal(s.see('a', 1), undefined);
    assert.equal(s.see('a', 1), undefined);
    assert.equal(s.see('b', 2), undefined);
    assert.deepEqual(s.see('a', 4), { key: 'a', partitions: [1, 4] });
    assert.equal(s.see('a', 5), undefined, 'counted once');
    assert.equal(s.see('b', 2), undefined);
  });

  it('stays bounded: past its capacity it starts over (a split may be missed, never invented)', () => {
    const s = new PartitionSpread(2);
    s.see('a', 1);
    s.see('b', 1);
    s.see('c', 2);
    assert.equal(s.see('a', 3), undefined);
  });
});
