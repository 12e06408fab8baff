import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Span } from '../../../../core/model/span.js';
import { FACT_ERROR, FACT_LONG_ID, FACT_SHARED } from '../../../../workers/assemble/facts.js';
import { NO_PROVENANCE, type WaitingSpan, WaitingSpans } from '../../../../workers/assemble/waiting.js';

const prov = { topic: 'zipkin', partition: 3, offset: 41 };

function waiting(over: Partial<WaitingSpan>): WaitingSpan {
  return {
    doc: '{"traceId":"a"}',
    head: 1,
    span: null,
    index: 'zipkin-span-2026-12-05',
    batchId: 7,
    prov,
    id: '',
    parentId: '',
    kind: 'SERVER',
    service: 'front',
    remoteService: 'back',
    name: 'get /',
    timestamp: 1_764_900_000_000_123,
    duration: 4321,
    flags: FACT_SHARED | FACT_ERROR,
    endpoint: '10.0.0.1||80',
    ...over,
  };
}

describe('WaitingSpans', () => {
  it('gives back each waiting span as it was added, but what its document holds, and frees its row', () => {
    const rows = new WaitingSpans();
    const a = waiting({});
    const span: Span = { traceId: '0000000000000001', id: '0000000000000002' };
    const b = waiting({ doc: null, span, id: '0000000000000002', parentId: '0000000000000001', kind: '', flags: FACT_LONG_ID });
    const c = waiting({ doc: null, span: null, id: 'f1', parentId: '', prov: NO_PROVENANCE, duration: 2 ** 40, name: '' });
    const ra = rows.add(a);
    const rb = rows.add(b);
    const rc = rows.add(c);
    assert.equal(rows.size, 3);
    assert.deepEqual(rows.remove(rb), b);
    assert.deepEqual(rows.remove(ra), { ...a, name: '', timestamp: 0, duration: 0 }, 'read back from the document at flush');
    assert.deepEqual(rows.remove(rc), c);
    assert.equal(rows.size, 0);
  });

  it('gives back documents off the heap and those kept as strings (not ASCII) alike, byte for byte', () => {
    const rows = new WaitingSpans();
    const docs = ['{"traceId":"a","name":"get /"}', '{"traceId":"b","name":"café"}', '{"traceId":"c","tags":{"k":"😀"}}', ''];
    const added = docs.map((doc) => rows.add(waiting({ doc })));
    assert.deepEqual(
      [3, 1, 0, 2].map((i) => rows.remove(added[i] as number).doc),
      [3, 1, 0, 2].map((i) => docs[i]),
    );
  });

  it('reuses freed rows without leaking the previous span into them, and grows past its first capacity', () => {
    const rows = new WaitingSpans();
    const first = rows.add(waiting({ doc: null, span: { traceId: 'aa', id: 'bb' }, id: 'bb' }));
    rows.remove(first);
    assert.equal(rows.add(waiting({ batchId: 9 })), first, 'a freed row is handed out again');
    const again = rows.remove(first);
    assert.equal(again.span, null, 'the deferred span of the row before is not handed out again');
    assert.equal(again.id, '');
    assert.equal(again.batchId, 9);
    const many: number[] = [];
    const kinds = ['', 'CLIENT', 'SERVER', 'PRODUCER', 'CONSUMER'] as const;
    for (let i = 0; i < 5000; i++) {
      const index = `zipkin-span-${i % 40}`;
      many.push(
        rows.add(waiting({ doc: `d${i}`, index, batchId: i, kind: kinds[i % 5] as WaitingSpan['kind'], flags: i & 31, service: `s${i}` })),
      );
    }
    assert.equal(rows.size, 5000);
    for (let i = 0; i < 5000; i += 997) {
      const s = rows.remove(many[i] as number);
      assert.equal(s.doc, `d${i}`);
      assert.equal(s.index, `zipkin-span-${i % 40}`);
      assert.equal(s.batchId, i);
      assert.equal(s.kind, kinds[i % 5]);
      assert.equal(s.flags, i & 31);
      assert.equal(s.service, `s${i}`);
    }
  });
});
