import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Kind, Span } from '../../../../core/model/span.js';
import { FACT_ERROR_TAG, FACT_SHARED, factFlags } from '../../../../workers/assemble/facts.js';
import { type LinkFacts, linkSpanOfFacts, localEndpointKey } from '../../../../workers/link/facts.js';
import { linkFacts } from '../../../../workers/link/fast-linker.js';
import { type Link, linkSpanOf, linkTrace } from '../../../../workers/link/linker.js';
import { linkTestTrace } from '../../../helpers/link-traffic.js';
import { createPrng, type Prng } from '../../../helpers/prng.js';
import { sharedTraces } from '../../../helpers/traffic.js';

const KINDS: (Kind | '')[] = ['', '', 'CLIENT', 'SERVER', 'PRODUCER', 'CONSUMER'];
const SERVICES = ['', 'web', 'app', 'db', 'kafka', 'cache'];
const ENDPOINTS = ['', '', '10.0.0.1||8080', '10.0.0.2||8080', '|::1|9411'];

function facts(span: Span): LinkFacts {
  return {
    endpoint: localEndpointKey(span),
    id: span.id,
    parentId: span.parentId ?? '',
    kind: span.kind ?? '',
    service: span.localEndpoint?.serviceName ?? '',
    remoteService: span.remoteEndpoint?.serviceName ?? '',
    name: span.name ?? '',
    timestamp: span.timestamp ?? 0,
    duration: span.duration ?? 0,
    flags: factFlags(span),
  };
}

const byEdge = (links: readonly Link[]): Link[] =>
  [...links].sort((a, b) => (a.parent + '\u0000' + a.child < b.parent + '\u0000' + b.child ? -1 : 1));

/**
 * Random traces the fast path takes: unique IDs, roots, orphans, unknown parents, self-parents and
 * cycles, plus shared server spans on some IDs (with or without their client's parent ID) whose
 * children sit on the same endpoint or another.
 */
function randomTrace(prng: Prng): LinkFacts[] {
  const n = prng.range(1, 14);
  const ids = Array.from({ length: n }, (_, i) => (i + 1).toString(16).padStart(16, '0'));
  prng.shuffle(ids);
  const span = (id: string, parentId: string, flags: number): LinkFacts => ({
    id,
    parentId,
    kind: prng.pick(KINDS),
    service: prng.pick(SERVICES),
    remoteService: prng.pick(SERVICES),
    name: 'op',
    timestamp: prng.chance(0.9) ? prng.range(1, 1000) : 0,
    duration: 1,
    flags: flags | (prng.chance(0.2) ? FACT_ERROR_TAG : 0),
    endpoint: prng.pick(ENDPOINTS),
  });
  const out = ids.map((id, i) => {
    const r = prng.int(10);
    const parentId =
      r === 0
        ? ''
        : r === 1
          ? 'ffffffffffffffff'
          : r === 2
            ? id
            : r === 3
              ? (ids[prng.int(n)] as string)
              : i === 0
                ? ''
                : (ids[prng.int(i)] as string);
    return span(id, parentId, 0);
  });
  for (let i = 0; i < n; i++) {
    if (!prng.chance(0.4)) continue;
    const client = out[i] as LinkFacts;
    const server = span(client.id, prng.chance(0.7) ? client.parentId : '', FACT_SHARED);
    if (prng.chance(0.6)) server.kind = 'SERVER';
    out.push(server);
    // Some later spans name this ID as parent from the server's own endpoint.
    for (let j = i + 1; j < n; j++) {
      const child = out[j] as LinkFacts;
      if (child.parentId === client.id && prng.chance(0.5)) {
        child.service = server.service;
        child.endpoint = server.endpoint;
      }
    }
  }
  // Spans reported in pieces: copies of an ID, shared or not, on the same endpoint or another.
  for (let k = prng.int(3); k > 0; k--) {
    const of = out[prng.int(out.length)] as LinkFacts;
    const piece = span(of.id, prng.chance(0.9) ? of.parentId : '', of.flags & FACT_SHARED);
    if (prng.chance(0.5)) {
      piece.service = of.service;
      piece.endpoint = of.endpoint;
    }
    if (prng.chance(0.3)) piece.kind = '';
    out.push(piece);
  }
  return prng.shuffle(out);
}

describe('linkFacts (fast path of the dependency linker)', () => {
  it('counts the same links as linkTrace on 20,000 random traces, shared server spans and spans in pieces among them', () => {
    const prng = createPrng(7);
    let linked = 0;
    let declined = 0;
    for (let t = 0; t < 20_000; t++) {
      const trace = randomTrace(prng);
      const fast = linkFacts(trace);
      if (fast === undefined) {
        declined++;
        continue;
      }
      const general = linkTrace(trace.map((f) => linkSpanOfFacts('t', f)));
      assert.deepEqual(byEdge(fast), byEdge(general), `trace ${t}: ${JSON.stringify(trace)}`);
      if (general.length > 0) linked++;
    }
    // The generator must exercise the rules, not just produce empty graphs, and the fast path must
    // take almost every trace: it hands over only rare shapes of repeated IDs (here mostly the
    // parentless pieces that do not merge, about 7 % of these random traces).
    assert.ok(linked > 10_000, `only ${linked} traces had links`);
    assert.ok(declined < 2_000, `${declined} traces declined`);
  });

  it('counts the same links as linkTrace on the real traces and the link test traffic', () => {
    const traces: Span[][] = sharedTraces().map((f) => f.spans);
    const prng = createPrng(11);
    for (let i = 0; i < 500; i++) traces.push(linkTestTrace(prng, 1_700_000_000_000_000 + i));
    let fastPath = 0;
    for (const spans of traces) {
      const fast = linkFacts(spans.map(facts));
      if (fast === undefined) continue;
      fastPath++;
      assert.deepEqual(byEdge(fast), byEdge(linkTrace(spans.map(linkSpanOf))));
    }
    // Every real trace, the 1,041-span one with its repeated IDs too, takes the fast path.
    assert.equal(fastPath, traces.length);
  });

  it('merges repeated IDs as Zipkin does, and hands over the shapes it does not reproduce', () => {
    // Span IDs as normalisation leaves them (16 hex digits), named by their last digit.
    const h = (id: string): string => id.padStart(16, '0');
    const base: LinkFacts = {
      id: h('a'),
      parentId: '',
      kind: 'SERVER',
      service: 'web',
      remoteService: '',
      name: '',
      timestamp: 1,
      duration: 1,
      flags: 0,
      endpoint: '',
    };
    const general = (spans: LinkFacts[]): Link[] => linkTrace(spans.map((f) => linkSpanOfFacts('t', f)));
    // Two pieces of one root span, and one RPC's client and shared server: taken, same links.
    const pieces = [
      { ...base, kind: '' as const, remoteService: 'browser' },
      { ...base, id: h('b'), parentId: h('a'), kind: 'CLIENT' as const, remoteService: 'app' },
      { ...base, id: h('b'), parentId: h('a'), kind: 'SERVER' as const, service: 'app', flags: FACT_SHARED },
      base,
    ];
    assert.deepEqual(byEdge(linkFacts(pieces) ?? []), byEdge(general(pieces)));
    assert.equal(general(pieces).length, 2);
    // Two pieces of span c that do not merge (two services), each under a shared server of its own
    // service: Zipkin's tree keeps the last piece, under the server the last piece names.
    const rpc = (id: string, service: string): LinkFacts[] => [
      { ...base, id: h(id), parentId: h('e'), kind: 'CLIENT', service: 'gw', remoteService: service },
      { ...base, id: h(id), parentId: h('e'), kind: 'SERVER', service, flags: FACT_SHARED },
    ];
    const apart = [
      { ...base, id: h('e'), service: 'gw' },
      ...rpc('d', 'app'),
      ...rpc('f', 'web'),
      { ...base, id: h('c'), parentId: h('d'), kind: 'CLIENT' as const, service: 'app', remoteService: 'db' },
      { ...base, id: h('c'), parentId: h('f'), kind: 'CLIENT' as const, service: 'web', remoteService: 'db' },
    ];
    assert.deepEqual(byEdge(linkFacts(apart) ?? []), byEdge(general(apart)));
    assert.ok(general(apart).some((l) => l.parent === 'web' && l.child === 'db'));
    assert.ok(!general(apart).some((l) => l.parent === 'app' && l.child === 'db'));
    // Parentless pieces that do not merge (two services): which one roots the tree is Zipkin's map order.
    assert.equal(linkFacts([base, { ...base, service: 'app' }]), undefined);
    assert.deepEqual(linkFacts([]), []);
    // IDs that are not 16 hex digits (none after normalisation) are the general linker's.
    assert.equal(linkFacts([{ ...base, id: 'a' }]), undefined);
  });
});
