import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Deque, DueHeap } from '../../../../../workers/sink/elasticsearch/queues.js';

describe('Deque', () => {
  it('is FIFO and puts retried items back in front, in order', () => {
    const q = new Deque<number>();
    for (let i = 0; i < 5; i++) q.push(i);
    assert.equal(q.shift(), 0);
    assert.equal(q.shift(), 1);
    q.unshiftAll([10, 11]); // fits in the freed head slots
    q.unshiftAll([20, 21, 22]); // does not
    const out: number[] = [];
    for (let x = q.shift(); x !== undefined; x = q.shift()) out.push(x);
    assert.deepEqual(out, [20, 21, 22, 10, 11, 2, 3, 4]);
    assert.equal(q.length, 0);
  });

  it('compacts after many shifts', () => {
    const q = new Deque<number>();
    for (let i = 0; i < 5000; i++) q.push(i);
    for (let i = 0; i < 4000; i++) assert.equal(q.shift(), i);
    assert.equal(q.length, 1000);
    assert.equal(q.peek(), 4000);
  });
});

describe('DueHeap', () => {
  it('pops due items earliest first, equal due times in push order', () => {
    const h = new DueHeap<string>();
    const due = [50, 10, 30, 10, 20, 10, 40, 30];
    due.forEach((d, i) => {
      h.push(d, `${d}#${i}`);
    });
    assert.equal(h.next, 10);
    assert.deepEqual(h.popDue(25), ['10#1', '10#3', '10#5', '20#4']);
    assert.deepEqual(h.popDue(1000), ['30#2', '30#7', '40#6', '50#0']);
    assert.equal(h.length, 0);
    assert.equal(h.next, undefined);
  });

  it('stays ordered under random pushes', () => {
    const h = new DueHeap<number>();
    const values = Array.from({ length: 500 }, () => Math.floor(Math.random() * 100));
    for (const v of values) h.push(v, v);
    assert.deepEqual(
      h.popDue(Number.POSITIVE_INFINITY),
      values.slice().sort((a, b) => a - b),
    );
  });
});
