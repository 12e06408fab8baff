import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Span } from '../../../../core/model/span.js';
import {
  FACT_DEBUG,
  FACT_ERROR,
  FACT_ERROR_TAG,
  FACT_LONG_ID,
  FACT_ROOT,
  FACT_SHARED,
  factsOf,
  Interner,
  isErrorSpan,
  type SpanFacts,
  summarize,
  traceKey,
} from '../../../../workers/assemble/facts.js';

const span = (over: Partial<Span>): Span => ({ traceId: '0000000000000001', id: '0000000000000001', ...over });

describe('span facts', () => {
  it('carries what trace-level stages read, with empty strings and zeros for absent fields', () => {
    const f = factsOf(
      span({
        parentId: 'a',
        kind: 'CLIENT',
        name: 'get',
        timestamp: 10,
        duration: 5,
        localEndpoint: { serviceName: 'front' },
        remoteEndpoint: { serviceName: 'db' },
        tags: { error: '' },
        debug: true,
        shared: true,
      }),
      new Interner(),
    );
    assert.deepEqual(f, {
      id: '0000000000000001',
      parentId: 'a',
      kind: 'CLIENT',
      service: 'front',
      remoteService: 'db',
      name: 'get',
      timestamp: 10,
      duration: 5,
      flags: FACT_ERROR | FACT_ERROR_TAG | FACT_DEBUG | FACT_SHARED,
    });
    assert.equal(factsOf(span({ traceId: '463ac35c9f6413ad48485a3953bb6124' }), new Interner()).flags, FACT_LONG_ID | FACT_ROOT);
    const bare = factsOf(span({}), new Interner());
    assert.equal(bare.parentId, '');
    assert.equal(bare.kind, '');
    assert.equal(bare.service, '');
    assert.equal(bare.timestamp, 0);
    assert.equal(bare.flags, FACT_ROOT, 'no parent ID: a root');
    assert.equal(factsOf(span({ parentId: 'b' }), new Interner()).flags, 0);
  });

  it('recognises errors by the error tag, HTTP 5xx and gRPC non-OK only', () => {
    assert.equal(isErrorSpan(undefined), false);
    assert.equal(isErrorSpan({ error: 'boom' }), true);
    assert.equal(isErrorSpan({ 'http.status_code': '503' }), true);
    assert.equal(isErrorSpan({ 'http.status_code': '404' }), false);
    assert.equal(isErrorSpan({ 'http.status_code': 'oops' }), false);
    assert.equal(isErrorSpan({ 'grpc.status_code': 'OK' }), false);
    assert.equal(isErrorSpan({ 'grpc.status_code': 'UNAVAILABLE' }), true);
    assert.equal(isErrorSpan({ 'rpc.grpc.status_code': '0' }), false);
    assert.equal(isErrorSpan({ 'rpc.grpc.status_code': '14' }), true);
  });

  it('interns names so equal strings are one object, and forgets all when over its bound', () => {
    const i = new Interner();
    const a = i.intern(['sv', 'c'].join(''));
    assert.equal(i.intern('svc'), a);
    assert.equal(i.intern(undefined), '');
    for (let n = 0; n < 60_000; n++) i.intern(`k${n}`);
    assert.equal(i.intern('svc'), 'svc');
  });

  it('keys a trace by its lower 64 bits, so both ID forms of one trace meet', () => {
    assert.equal(traceKey('463ac35c9f6413ad48485a3953bb6124'), '48485a3953bb6124');
    assert.equal(traceKey('48485a3953bb6124'), '48485a3953bb6124');
  });
});

const facts = (over: Partial<SpanFacts>): SpanFacts => ({
  id: 'x',
  parentId: '',
  kind: '',
  service: 's',
  remoteService: '',
  name: 'n',
  timestamp: 0,
  duration: 0,
  flags: 0,
  ...over,
});

describe('trace summary', () => {
  it('spans first start to last end, finds the root, and sees errors and debug anywhere', () => {
    const s = summarize('k', [
      facts({ id: 'b', parentId: 'a', timestamp: 150, duration: 300, flags: FACT_ERROR }),
      facts({ id: 'a', timestamp: 100, duration: 100, service: 'root' }),
      facts({ id: 'c', parentId: 'a', timestamp: 0, flags: FACT_DEBUG }),
    ]);
    assert.equal(s.duration, 350);
    assert.equal(s.root?.service, 'root');
    assert.equal(s.error, true);
    assert.equal(s.debug, true);
  });

  it('without a parentless span, the earliest span whose parent is missing stands in for the root', () => {
    const s = summarize('k', [
      facts({ id: 'c', parentId: 'b', timestamp: 300 }),
      facts({ id: 'b', parentId: 'a', timestamp: 200, service: 'mid' }),
    ]);
    assert.equal(s.root?.service, 'mid');
    assert.equal(s.error, false);
  });
});
