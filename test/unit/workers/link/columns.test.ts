import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FACT_ERROR_TAG, FACT_SHARED } from '../../../../workers/assemble/facts.js';
import { TraceColumns } from '../../../../workers/link/columns.js';
import type { LinkFacts } from '../../../../workers/link/facts.js';
import { idHashSums } from '../../../../workers/link/windows.js';
import { createPrng } from '../../../helpers/prng.js';

const span = (id: string, parentId: string, more: Partial<LinkFacts> = {}): LinkFacts => ({
  id,
  parentId,
  kind: '',
  service: 'web',
  remoteService: '',
  name: '',
  timestamp: 0,
  duration: 0,
  flags: 0,
  endpoint: '',
  ...more,
});

describe('TraceColumns', () => {
  it('holds facts records row by row and gives them back (name and duration are not kept)', () => {
    const c = new TraceColumns();
    const input = [
      span('00000000000000a1', '', { kind: 'SERVER', timestamp: 5, flags: FACT_SHARED, endpoint: '10.0.0.1||80' }),
      span('ffffffff000000b2', '00000000000000a1', { kind: 'CLIENT', remoteService: 'db', timestamp: 3, flags: FACT_ERROR_TAG }),
    ];
    assert.ok(c.fill(input));
    assert.equal(c.n, 2);
    assert.deepEqual([c.factsAt(0), c.factsAt(1)], input);
    assert.equal(c.start(), 3);
    const copy = new TraceColumns();
    copy.resize(1);
    copy.copy(0, c, 1);
    assert.deepEqual(copy.factsAt(0), input[1]);
  });

  it('refuses IDs that are not 16 lower-case hex digits, and starts at 0 without timestamps', () => {
    const c = new TraceColumns();
    assert.equal(c.fill([span('a1', '')]), false);
    assert.equal(c.fill([span('00000000000000a1', 'B2')]), false);
    assert.ok(c.fill([span('00000000000000a1', '')]));
    assert.equal(c.start(), 0);
  });

  it('grows past its first capacity', () => {
    const c = new TraceColumns();
    const many = Array.from({ length: 300 }, (_, i) => span((i + 1).toString(16).padStart(16, '0'), '', { timestamp: 1000 - i }));
    assert.ok(c.fill(many));
    assert.deepEqual(c.factsAt(299), many[299]);
    assert.equal(c.start(), 701);
  });

  it('hashes the IDs from their words exactly as the link windows hash the strings', () => {
    const prng = createPrng(5);
    const c = new TraceColumns();
    const sums = new Uint32Array(2);
    for (let t = 0; t < 200; t++) {
      const spans = Array.from({ length: prng.range(1, 40) }, () => span(prng.hex(16), ''));
      assert.ok(c.fill(spans));
      c.idHashSums(sums);
      assert.deepEqual([...sums], idHashSums(spans));
    }
  });
});
