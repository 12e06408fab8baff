import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FACT_ERROR_TAG, FACT_SHARED } from '../../../../workers/assemble/facts.js';
import { TraceColumns } from '../../../../workers/link/columns.js';
import { LinkRows } from '../../../../workers/link/rows.js';

describe('LinkRows', () => {
  it('gives back each span’s link facts as it was added', () => {
    const rows = new LinkRows();
    const a = rows.add('a1', '', 'SERVER', 'front', '', 1_700_000_000_000_123, FACT_SHARED, '10.0.0.1||80');
    const b = rows.add('b2', 'a1', 'CLIENT', 'front', 'back', 0, FACT_ERROR_TAG, '');
    const c = rows.add('c3', 'b2', '', 'back', '', 5, 0, '');
    assert.deepEqual(rows.facts(a), {
      id: 'a1',
      parentId: '',
      kind: 'SERVER',
      service: 'front',
      remoteService: '',
      name: '',
      timestamp: 1_700_000_000_000_123,
      duration: 0,
      flags: FACT_SHARED,
      endpoint: '10.0.0.1||80',
    });
    assert.equal(rows.facts(b).kind, 'CLIENT');
    assert.equal(rows.facts(b).flags, FACT_ERROR_TAG);
    assert.equal(rows.facts(b).remoteService, 'back');
    assert.equal(rows.facts(c).kind, '');
    assert.equal(rows.size, 3);
  });

  it('keeps 16-digit hex IDs as numbers and gives the same strings back, roots and odd IDs included', () => {
    const rows = new LinkRows();
    const a = rows.add('0123456789abcdef', 'ffffffff00000001', 'CLIENT', 'front', 'back', 7, 0, '');
    const b = rows.add('8000000000000000', '', 'SERVER', 'back', '', 8, FACT_SHARED, '');
    const c = rows.add('0123456789ABCDEF', '0000000000000001', '', 'back', '', 9, 0, '');
    const d = rows.add('0000000000000002', 'not-hex', '', 'back', '', 9, 0, '');
    assert.deepEqual([rows.facts(a).id, rows.facts(a).parentId], ['0123456789abcdef', 'ffffffff00000001']);
    assert.deepEqual([rows.facts(b).id, rows.facts(b).parentId, rows.facts(b).flags], ['8000000000000000', '', FACT_SHARED]);
    assert.deepEqual([rows.facts(c).id, rows.facts(c).parentId], ['0123456789ABCDEF', '0000000000000001']);
    assert.deepEqual([rows.facts(d).id, rows.facts(d).parentId], ['0000000000000002', 'not-hex']);
    rows.release(c);
    assert.equal(rows.add('1111111111111111', '', '', 's', '', 1, 0, ''), c);
    assert.deepEqual([rows.facts(c).id, rows.facts(c).parentId], ['1111111111111111', ''], 'a reused row forgets the strings it held');
  });

  it('reuses released rows, and grows past its first capacity without losing rows', () => {
    const rows = new LinkRows();
    const first = rows.add('x', '', 'PRODUCER', 's', 'q', 1, 0, '');
    rows.release(first);
    assert.equal(rows.size, 0);
    assert.equal(rows.add('y', '', 'CONSUMER', 's', 'q', 2, 0, ''), first, 'a freed row is handed out again');
    const many: number[] = [];
    for (let i = 0; i < 5000; i++) many.push(rows.add(`id${i}`, `p${i}`, 'SERVER', 's', '', i * 1000, i & 31, ''));
    assert.equal(rows.size, 5001);
    for (let i = 0; i < 5000; i += 997) {
      const f = rows.facts(many[i] as number);
      assert.equal(f.id, `id${i}`);
      assert.equal(f.parentId, `p${i}`);
      assert.equal(f.timestamp, i * 1000);
      assert.equal(f.flags, i & 31);
    }
    assert.equal(rows.facts(first).kind, 'CONSUMER');
  });

  it('copies a trace’s rows into columns as they were added, unless a row holds its IDs as strings', () => {
    const rows = new LinkRows();
    const a = rows.add('0123456789abcdef', '', 'SERVER', 'front', '', 7, FACT_SHARED, '10.0.0.1||80');
    const b = rows.add('ffffffff00000001', '0123456789abcdef', 'CLIENT', 'front', 'back', 9, FACT_ERROR_TAG, '');
    const odd = rows.add('x1', '', '', 'back', '', 1, 0, '');
    const c = new TraceColumns();
    assert.ok(rows.copyTo([b, a], c));
    assert.equal(c.n, 2);
    assert.deepEqual([c.factsAt(0), c.factsAt(1)], [rows.facts(b), rows.facts(a)]);
    assert.equal(rows.copyTo([a, odd], c), false);
  });
});
