import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PartitionWorkers } from '../../../../src/dispatch/partition-workers.js';

const parts = (...ns: number[]) => ns.map((partition) => ({ topic: 'keyed', partition }));

describe('PartitionWorkers', () => {
  it('spreads any assignment evenly, even one of only even partitions', () => {
    const m = new PartitionWorkers(2);
    m.assign(parts(10, 0, 4, 2, 6, 8));
    assert.deepEqual(m.loads, [3, 3]);
    assert.deepEqual(
      [0, 2, 4, 6, 8, 10].map((p) => m.workerOf('keyed', p)),
      [0, 1, 0, 1, 0, 1],
    );
  });

  it('keeps a partition on its worker while assigned; released ones make room for new ones', () => {
    const m = new PartitionWorkers(3);
    m.assign(parts(0, 1, 2));
    const before = m.workerOf('keyed', 1);
    m.assign(parts(0, 1, 2, 3));
    assert.equal(m.workerOf('keyed', 1), before);
    m.release(parts(2));
    assert.deepEqual(m.loads, [2, 1, 0]);
    m.assign(parts(7));
    assert.equal(m.workerOf('keyed', 7), 2, 'the emptiest worker');
  });

  it('maps a partition seen before its assignment', () => {
    const m = new PartitionWorkers(2);
    assert.equal(m.workerOf('keyed', 5), 0);
    assert.equal(m.workerOf('keyed', 6), 1);
    assert.equal(m.workerOf('keyed', 5), 0);
  });
});
