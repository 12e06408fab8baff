import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EdgeCounts, FoundLinks } from '../../../../workers/link/edges.js';

describe('FoundLinks and EdgeCounts', () => {
  it('sums calls and errors per parent → child edge, parent by parent in first-seen order', () => {
    const found = new FoundLinks();
    found.add('web', 'app', false);
    found.add('app', 'db', true);
    found.add('web', 'app', true);
    found.push('web', 'cache', 3, 1);
    assert.equal(found.length, 4);
    const counts = new EdgeCounts();
    assert.ok(counts.empty);
    counts.addAll(found);
    counts.add('app', 'db', 2, 0);
    assert.deepEqual(counts.list(), [
      { parent: 'web', child: 'app', callCount: 2, errorCount: 1 },
      { parent: 'web', child: 'cache', callCount: 3, errorCount: 1 },
      { parent: 'app', child: 'db', callCount: 3, errorCount: 1 },
    ]);
    found.clear();
    assert.equal(found.length, 0);
    found.add('x', 'y', false);
    assert.deepEqual([found.parents[0], found.children[0], found.calls[0], found.errors[0]], ['x', 'y', 1, 0]);
  });

  it('keeps names apart that a joined key would confuse', () => {
    const counts = new EdgeCounts();
    counts.add('a\u0000b', 'c', 1, 0);
    counts.add('a', 'b\u0000c', 1, 0);
    assert.equal(counts.list().length, 2);
  });
});
