import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Span } from '../../../../core/model/span.js';
import { NOT_INCLUDED, SpanFilter } from '../../../../workers/filter/rules.js';
import type { FilterRuleSettings } from '../../../../workers/protocol.js';

const span = (over: Partial<Span>): Span => ({
  traceId: '0000000000000001',
  id: '0000000000000002',
  name: 'get /api',
  kind: 'SERVER',
  duration: 5000,
  localEndpoint: { serviceName: 'front' },
  ...over,
});

const filter = (
  rules: FilterRuleSettings[],
  legacy: Partial<{ dropServices: string[]; dropSpanNames: string[]; dropTags: Record<string, string> }> = {},
) => new SpanFilter({ dropServices: [], dropSpanNames: [], dropTags: {}, rules, ...legacy });

describe('SpanFilter', () => {
  it('keeps everything when nothing is configured', () => {
    const f = filter([]);
    assert.equal(f.active, false);
    assert.equal(f.match(span({})), null);
  });

  it('legacy drop lists match services, span names (case-folded) and tags (* for any value)', () => {
    const f = filter([], { dropServices: ['Noise'], dropSpanNames: ['GET /health'], dropTags: { 'http.path': '/metrics', k: '*' } });
    assert.equal(f.match(span({ localEndpoint: { serviceName: 'noise' } })), 'service');
    assert.equal(f.match(span({ name: 'get /health' })), 'span_name');
    assert.equal(f.match(span({ tags: { 'http.path': '/metrics' } })), 'tag');
    assert.equal(f.match(span({ tags: { 'http.path': '/other' } })), null);
    assert.equal(f.match(span({ tags: { k: 'anything' } })), 'tag');
  });

  it('exclude rules: exact, prefix and regex on service, remote service and name; first match names the drop', () => {
    const f = filter([
      { name: 'health', action: 'exclude', spanName: { prefix: 'GET /health' } },
      { name: 'internal', action: 'exclude', service: { regex: '^int-\\d+$' } },
      { name: 'to-cache', action: 'exclude', remoteService: { exact: 'Redis' } },
    ]);
    assert.equal(f.match(span({ name: 'get /healthz' })), 'health');
    assert.equal(f.match(span({ localEndpoint: { serviceName: 'int-42' } })), 'internal');
    assert.equal(f.match(span({ localEndpoint: { serviceName: 'int-x' } })), null);
    assert.equal(f.match(span({ remoteEndpoint: { serviceName: 'redis' } })), 'to-cache');
    assert.equal(f.match(span({})), null);
  });

  it('kind, tag presence and value, annotation value and duration bounds; fields of one rule are ANDed', () => {
    const f = filter([
      { name: 'clients', action: 'exclude', kind: ['CLIENT'], minDurationMs: 100 },
      { name: 'no-kind', action: 'exclude', kind: ['NONE'] },
      { name: 'sampled-debug', action: 'exclude', tag: { key: 'debug', present: true } },
      { name: 'status', action: 'exclude', tag: { key: 'http.status_code', regex: '^3' } },
      { name: 'retry', action: 'exclude', annotation: { prefix: 'retry' } },
      { name: 'short', action: 'exclude', maxDurationMs: 1 },
    ]);
    assert.equal(f.match(span({ kind: 'CLIENT', duration: 200_000 })), 'clients');
    assert.equal(f.match(span({ kind: 'CLIENT', duration: 20_000 })), null, 'both fields must match');
    assert.equal(f.match(span({ kind: undefined })), 'no-kind');
    assert.equal(f.match(span({ tags: { debug: '' } })), 'sampled-debug');
    assert.equal(f.match(span({ tags: { 'http.status_code': '304' } })), 'status');
    assert.equal(f.match(span({ tags: { 'http.status_code': '200' } })), null);
    assert.equal(f.match(span({ annotations: [{ timestamp: 1, value: 'retry #2' }] })), 'retry');
    assert.equal(f.match(span({ duration: 500 })), 'short');
    assert.equal(f.match(span({ duration: undefined })), null, 'an unknown duration matches no bound');
  });

  it('include rules admit only spans matching one of them; excludes still apply to those', () => {
    const f = filter([
      { name: 'shop', action: 'include', service: { prefix: 'shop-' } },
      { name: 'slow', action: 'include', minDurationMs: 1000 },
      { name: 'noisy', action: 'exclude', spanName: { exact: 'ping' } },
    ]);
    assert.equal(f.match(span({ localEndpoint: { serviceName: 'shop-cart' } })), null);
    assert.equal(f.match(span({ duration: 2_000_000 })), null);
    assert.equal(f.match(span({})), NOT_INCLUDED);
    assert.equal(f.match(span({ localEndpoint: { serviceName: 'shop-cart' }, name: 'ping' })), 'noisy');
  });
});
