import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FACT_LONG_ID, type SpanFacts } from '../../../../workers/assemble/facts.js';
import { TraceChecker } from '../../../../workers/check/trace.js';
import { TRACE_CHECK_DEFAULTS } from '../../../../workers/protocol.js';

const LONG = '463ac35c9f6413ad48485a3953bb6124';
const SHORT = '48485a3953bb6124';

/** Spans with their full trace IDs, as the pipeline's entries give them. */
function trace(...spans: Array<Partial<SpanFacts> & { traceId?: string }>): { facts: SpanFacts[]; idOf: (i: number) => string } {
  const ids = spans.map((s) => s.traceId ?? LONG);
  const facts = spans.map(({ traceId = LONG, ...over }) => ({
    id: 'a',
    parentId: '',
    kind: 'SERVER' as const,
    service: 's',
    remoteService: '',
    name: 'n',
    timestamp: 1,
    duration: 1,
    flags: traceId.length > 16 ? FACT_LONG_ID : 0,
    ...over,
  }));
  return { facts, idOf: (i) => ids[i] as string };
}

describe('TraceChecker', () => {
  it('is off by default and passes every trace', () => {
    const c = new TraceChecker(TRACE_CHECK_DEFAULTS);
    assert.equal(c.active, false);
    assert.equal(c.defersEncoding(SHORT), false);
    const t = trace({}, { traceId: SHORT, id: 'b' }, { timestamp: 9 });
    assert.equal(c.check(t.facts, t.idOf), null);
  });

  it('mixed trace IDs: fix gives the 64-bit spans the 128-bit ID; drop and quarantine name them', () => {
    const fix = new TraceChecker({ duplicateSpanId: 'off', mixedTraceId: 'fix' });
    assert.equal(fix.defersEncoding(SHORT), true);
    assert.equal(fix.defersEncoding(LONG), false);
    const t = trace({}, { traceId: SHORT, id: 'b', parentId: 'a' });
    assert.deepEqual(fix.check(t.facts, t.idOf), [undefined, { rule: 'mixed_trace_id', action: 'fix', traceId: LONG }]);
    const drop = new TraceChecker({ duplicateSpanId: 'off', mixedTraceId: 'drop' });
    assert.deepEqual(drop.check(t.facts, t.idOf)?.[1], { rule: 'mixed_trace_id', action: 'drop' });
    const short = trace({ traceId: SHORT }, { traceId: SHORT, id: 'b' });
    assert.equal(fix.check(short.facts, short.idOf), null, 'all 64-bit: nothing mixed');
  });

  it('mixed trace IDs with two different high halves are ambiguous and left alone', () => {
    const fix = new TraceChecker({ duplicateSpanId: 'off', mixedTraceId: 'fix' });
    const t = trace({}, { traceId: `00000000000000ff${SHORT}`, id: 'c' }, { traceId: SHORT, id: 'b' });
    assert.equal(fix.check(t.facts, t.idOf), null);
  });

  it('a 128-bit span whose full ID is not known (facts only) gives no ID to fix with', () => {
    const fix = new TraceChecker({ duplicateSpanId: 'off', mixedTraceId: 'fix' });
    const t = trace({}, { traceId: SHORT, id: 'b', parentId: 'a' });
    const unknown = (i: number): string => (i === 0 ? '' : t.idOf(i));
    assert.equal(fix.check(t.facts, unknown), null, 'nothing to fix with');
    const withKnown = trace({}, { id: 'c' }, { traceId: SHORT, id: 'b' });
    const firstUnknown = (i: number): string => (i === 0 ? '' : withKnown.idOf(i));
    assert.deepEqual(fix.check(withKnown.facts, firstUnknown)?.[2], { rule: 'mixed_trace_id', action: 'fix', traceId: LONG });
  });

  it('duplicate span IDs: same ID, kind and service with different content; the first stays', () => {
    const c = new TraceChecker({ duplicateSpanId: 'quarantine', mixedTraceId: 'off' });
    const t = trace(
      {},
      { kind: 'CLIENT' }, // the client half of the same RPC: not a duplicate
      {}, // delivered twice, same content: not a duplicate either
      { timestamp: 99 },
    );
    assert.deepEqual(c.check(t.facts, t.idOf), [undefined, undefined, undefined, { rule: 'duplicate_span_id', action: 'quarantine' }]);
  });
});
