import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Link, LinkCounter, type LinkSpan, linkSpanOf, linkTrace } from '../../../../workers/link/linker.js';

const T = '000000000000000a';

function s(id: string, fields: Partial<LinkSpan> = {}): LinkSpan {
  return { traceId: T, id, error: false, ...fields };
}

function sorted(links: Link[]): Link[] {
  return [...links].sort((a, b) => (a.parent + '>' + a.child).localeCompare(b.parent + '>' + b.child));
}

const link = (parent: string, child: string, callCount = 1, errorCount = 0): Link => ({ parent, child, callCount, errorCount });

describe('linkTrace (Zipkin DependencyLinker rules)', () => {
  it('links nothing for no spans and for a lone root server span without a caller', () => {
    assert.deepEqual(linkTrace([]), []);
    assert.deepEqual(linkTrace([s('1', { kind: 'SERVER', localServiceName: 'web' })]), []);
  });

  it('a root server span with a known client links client → server', () => {
    assert.deepEqual(linkTrace([s('1', { kind: 'SERVER', localServiceName: 'web', remoteServiceName: 'browser' })]), [
      link('browser', 'web'),
    ]);
  });

  it('client and shared server span: one link, named by the server, counted once', () => {
    const spans = [
      s('1', { kind: 'SERVER', localServiceName: 'web' }),
      s('2', { parentId: '1', kind: 'CLIENT', localServiceName: 'web', remoteServiceName: 'guess' }),
      s('2', { parentId: '1', kind: 'SERVER', shared: true, localServiceName: 'app' }),
    ];
    assert.deepEqual(linkTrace(spans), [link('web', 'app')]);
  });

  it('a server reusing its client span id without the shared flag is still treated as shared', () => {
    const spans = [
      s('1', { kind: 'SERVER', localServiceName: 'web' }),
      s('2', { parentId: '1', kind: 'CLIENT', localServiceName: 'web' }),
      s('2', { kind: 'SERVER', localServiceName: 'app' }),
    ];
    assert.deepEqual(linkTrace(spans), [link('web', 'app')]);
  });

  it('a leaf client with a remote service counts an uninstrumented service', () => {
    const spans = [
      s('1', { kind: 'SERVER', localServiceName: 'web' }),
      s('2', { parentId: '1', kind: 'CLIENT', localServiceName: 'web', remoteServiceName: 'mysql' }),
      s('3', { parentId: '1', kind: 'CLIENT', localServiceName: 'web', remoteServiceName: 'mysql' }),
    ];
    assert.deepEqual(linkTrace(spans), [link('web', 'mysql', 2)]);
  });

  it('a span without kind is a client only when both services are known', () => {
    const spans = [
      s('1', { kind: 'SERVER', localServiceName: 'web' }),
      s('2', { parentId: '1', localServiceName: 'web', remoteServiceName: 'redis' }),
      s('3', { parentId: '1', localServiceName: 'web' }),
    ];
    assert.deepEqual(linkTrace(spans), [link('web', 'redis')]);
  });

  it('local spans between a server and its remote ancestor are skipped over', () => {
    const spans = [
      s('1', { kind: 'SERVER', localServiceName: 'web' }),
      s('2', { parentId: '1', localServiceName: 'web' }),
      s('3', { parentId: '2', kind: 'CLIENT', localServiceName: 'web' }),
      s('3', { parentId: '2', kind: 'SERVER', shared: true, localServiceName: 'app' }),
    ];
    assert.deepEqual(linkTrace(spans), [link('web', 'app')]);
  });

  it('a client without local service name takes its remote ancestor as caller', () => {
    const spans = [s('1', { kind: 'SERVER', localServiceName: 'web' }), s('2', { parentId: '1', kind: 'CLIENT', remoteServiceName: 'db' })];
    assert.deepEqual(linkTrace(spans), [link('web', 'db')]);
  });

  it('backfills a missing link when a client names a service other than its remote ancestor', () => {
    const spans = [
      s('1', { kind: 'SERVER', localServiceName: 'web' }),
      s('2', { parentId: '1', kind: 'CLIENT', localServiceName: 'app', remoteServiceName: 'db', error: true }),
    ];
    assert.deepEqual(sorted(linkTrace(spans)), [link('app', 'db', 1, 1), link('web', 'app', 1, 0)]);
  });

  it('messaging: producer and consumer link to the broker only when both names are known', () => {
    const spans = [
      s('1', { kind: 'PRODUCER', localServiceName: 'producer', remoteServiceName: 'kafka' }),
      s('2', { parentId: '1', kind: 'CONSUMER', localServiceName: 'consumer', remoteServiceName: 'kafka' }),
      s('3', { parentId: '1', kind: 'CONSUMER', localServiceName: 'other' }),
    ];
    assert.deepEqual(sorted(linkTrace(spans)), [link('kafka', 'consumer'), link('producer', 'kafka')]);
  });

  it('a root consumer without a broker name links nothing', () => {
    assert.deepEqual(linkTrace([s('1', { kind: 'CONSUMER', localServiceName: 'consumer' })]), []);
  });

  it('loopback: a service calling itself is a self link', () => {
    const spans = [
      s('1', { kind: 'SERVER', localServiceName: 'web' }),
      s('2', { parentId: '1', kind: 'CLIENT', localServiceName: 'web' }),
      s('2', { parentId: '1', kind: 'SERVER', shared: true, localServiceName: 'web' }),
    ];
    assert.deepEqual(linkTrace(spans), [link('web', 'web')]);
  });

  it('errors: a server inherits the error of its direct client parent, not of other ancestors', () => {
    const clientError = [
      s('1', { kind: 'SERVER', localServiceName: 'web' }),
      s('2', { parentId: '1', kind: 'CLIENT', localServiceName: 'web', error: true }),
      s('3', { parentId: '2', kind: 'SERVER', localServiceName: 'app' }),
    ];
    assert.deepEqual(linkTrace(clientError), [link('web', 'app', 1, 1)]);
    const rootError = [
      s('1', { kind: 'SERVER', localServiceName: 'web', error: true }),
      s('2', { parentId: '1', kind: 'CLIENT', localServiceName: 'web', remoteServiceName: 'db' }),
    ];
    assert.deepEqual(linkTrace(rootError), [link('web', 'db', 1, 0)]);
  });

  it('merges a span reported in pieces before linking (no double count)', () => {
    const spans = [
      s('1', { kind: 'SERVER', localServiceName: 'web' }),
      s('2', { parentId: '1', kind: 'CLIENT', localServiceName: 'web', timestamp: 5 }),
      s('2', { parentId: '1', localServiceName: 'web', remoteServiceName: 'db', error: true }),
    ];
    assert.deepEqual(linkTrace(spans), [link('web', 'db', 1, 1)]);
  });

  it('headless traces: every top span is walked, none counts as root', () => {
    const spans = [
      s('2', { parentId: '1', kind: 'SERVER', localServiceName: 'app' }),
      s('3', { parentId: '9', kind: 'CLIENT', localServiceName: 'app', remoteServiceName: 'db' }),
    ];
    // Zipkin attaches both to a synthetic root; the server has no caller, the client links.
    assert.deepEqual(linkTrace(spans), [link('app', 'db')]);
  });

  it('shared spans on different endpoints answering one client id stay two servers', () => {
    const spans = [
      s('1', { kind: 'SERVER', localServiceName: 'web' }),
      s('2', { parentId: '1', kind: 'CLIENT', localServiceName: 'web' }),
      s('2', { parentId: '1', kind: 'SERVER', shared: true, localServiceName: 'app', localIpv4: '10.0.0.1' }),
      s('2', { parentId: '1', kind: 'SERVER', shared: true, localServiceName: 'app', localIpv4: '10.0.0.2' }),
    ];
    assert.deepEqual(linkTrace(spans), [link('web', 'app', 2)]);
  });

  it('LinkCounter sums traces; linkSpanOf maps a Span (error tag even when empty)', () => {
    const counter = new LinkCounter();
    const trace = [
      linkSpanOf({ traceId: T, id: '1', kind: 'SERVER', localEndpoint: { serviceName: 'web' } }),
      linkSpanOf({
        traceId: T,
        id: '2',
        parentId: '1',
        kind: 'CLIENT',
        localEndpoint: { serviceName: 'web' },
        remoteEndpoint: { serviceName: 'db' },
        tags: { error: '' },
      }),
    ];
    counter.putTrace(trace).putTrace(trace);
    assert.deepEqual(counter.links(), [link('web', 'db', 2, 2)]);
  });
});
