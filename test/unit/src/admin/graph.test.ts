import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LiveGraph } from '../../../../src/admin/graph.js';

const T0 = 1_000_000_000_000;

describe('LiveGraph', () => {
  it('sums edges over the period and turns them into rates over the time covered', () => {
    const g = new LiveGraph(60_000, 10_000);
    g.add(T0, [['web', 'app', 10, 1]]);
    g.add(T0 + 5_000, [
      ['web', 'app', 10, 1],
      ['app', 'db', 4, 0],
    ]);
    const s = g.snapshot(T0 + 20_000);
    assert.equal(s.from, T0);
    assert.deepEqual(
      s.edges.map((e) => [e.source, e.target, e.calls, e.errors, e.callRate, e.errorRate]),
      [
        ['app', 'db', 4, 0, 0.2, 0],
        ['web', 'app', 20, 2, 1, 0.1],
      ],
    );
    assert.deepEqual(s.nodes, [
      { name: 'app', inRate: 1, outRate: 0.2 },
      { name: 'db', inRate: 0.2, outRate: 0 },
      { name: 'web', inRate: 0, outRate: 1 },
    ]);
  });

  it('forgets counts older than its span', () => {
    const g = new LiveGraph(60_000, 10_000);
    g.add(T0, [['web', 'app', 10, 0]]);
    g.add(T0 + 65_000, [['web', 'db', 6, 3]]);
    const s = g.snapshot(T0 + 70_000);
    assert.equal(s.from, T0 + 10_000);
    assert.deepEqual(
      s.edges.map((e) => [e.source, e.target, e.calls, e.callRate, e.errorRate]),
      [['web', 'db', 6, 0.1, 0.5]],
    );
  });

  it('is empty before any traffic', () => {
    const s = new LiveGraph().snapshot(T0);
    assert.deepEqual([s.nodes, s.edges], [[], []]);
  });
});
