import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SpanFacts } from '../../../../workers/assemble/facts.js';
import { TRACE_CHECK_DEFAULTS, TraceChecker } from '../../../../workers/check/trace.js';

const LONG = '463ac35c9f6413ad48485a3953bb6124';
const SHORT = '48485a3953bb6124';
const facts = (over: Partial<SpanFacts>): SpanFacts => ({
  traceId: LONG,
  id: 'a',
  parentId: '',
  kind: 'SERVER',
  service: 's',
  remoteService: '',
  name: 'n',
  timestamp: 1,
  duration: 1,
  flags: 0,
  ...over,
});

describe('TraceChecker', () => {
  it('is off by default and passes every trace', () => {
    const c = new TraceChecker(TRACE_CHECK_DEFAULTS);
    assert.equal(c.active, false);
    assert.equal(c.defersEncoding(SHORT), false);
    assert.equal(c.check([facts({}), facts({ traceId: SHORT, id: 'b' }), facts({ timestamp: 9 })]), null);
  });

  it('mixed trace IDs: fix gives the 64-bit spans the 128-bit ID; drop and quarantine name them', () => {
    const fix = new TraceChecker({ duplicateSpanId: 'off', mixedTraceId: 'fix' });
    assert.equal(fix.defersEncoding(SHORT), true);
    assert.equal(fix.defersEncoding(LONG), false);
    const spans = [facts({}), facts({ traceId: SHORT, id: 'b', parentId: 'a' })];
    assert.deepEqual(fix.check(spans), [undefined, { rule: 'mixed_trace_id', action: 'fix', traceId: LONG }]);
    const drop = new TraceChecker({ duplicateSpanId: 'off', mixedTraceId: 'drop' });
    assert.deepEqual(drop.check(spans)?.[1], { rule: 'mixed_trace_id', action: 'drop' });
    assert.equal(fix.check([facts({ traceId: SHORT }), facts({ traceId: SHORT, id: 'b' })]), null, 'all 64-bit: nothing mixed');
  });

  it('mixed trace IDs with two different high halves are ambiguous and left alone', () => {
    const fix = new TraceChecker({ duplicateSpanId: 'off', mixedTraceId: 'fix' });
    const other = `00000000000000ff${SHORT}`;
    assert.equal(fix.check([facts({}), facts({ traceId: other, id: 'c' }), facts({ traceId: SHORT, id: 'b' })]), null);
  });

  it('duplicate span IDs: same ID, kind and service with different content; the first stays', () => {
    const c = new TraceChecker({ duplicateSpanId: 'quarantine', mixedTraceId: 'off' });
    const v = c.check([
      facts({}),
      facts({ kind: 'CLIENT' }), // the client half of the same RPC: not a duplicate
      facts({}), // delivered twice, same content: not a duplicate either
      facts({ timestamp: 99 }),
    ]);
    assert.deepEqual(v, [undefined, undefined, undefined, { rule: 'duplicate_span_id', action: 'quarantine' }]);
  });
});
