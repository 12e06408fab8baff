/**
 * The Thrift decoder's fast path (convertSimpleV1Span) must give exactly what the general path
 * (convertV1ToV2 + normalizeSpan) gives: same spans, same key order, same errors. Both paths run
 * over every shared trace in many shapes, over hand-built odd spans, and over random spans drawn
 * from small vocabularies so that collisions (same service, duplicate keys, equal IDs) are common.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeThriftList, decodeThriftListGeneral } from '../../../../../core/codec/decode/thrift.js';
import { encodeThrift } from '../../../../../core/codec/encode/thrift.js';
import type { DecodeResult, Span } from '../../../../../core/model/span.js';
import { createPrng, type Prng } from '../../../../helpers/prng.js';
import { sharedTraces } from '../../../../helpers/traffic.js';
import { ip4, type TAnnotation, type TBinaryAnnotation, type TEndpoint, type TSpan, thriftList } from '../fixtures/zipkin-cases.js';

/** Both paths on the same bytes: deep equality, and the JSON text for key order. */
function assertSamePaths(bytes: Uint8Array, what: string): DecodeResult {
  const fast = decodeThriftList(bytes);
  const general = decodeThriftListGeneral(bytes);
  assert.deepStrictEqual(fast, general, what);
  assert.equal(JSON.stringify(fast), JSON.stringify(general), what);
  // Like normalizeSpan, the fast path gives every span objects of its own.
  const objects = fast.spans.flatMap((s) => [s.localEndpoint, s.remoteEndpoint, s.annotations, s.tags].filter((o) => o !== undefined));
  assert.equal(new Set(objects).size, objects.length, `${what}: an object shared between spans`);
  return fast;
}

// ---------------------------------------------------------------------------------------------
// Shapes of the shared traces: each v2 span list rewritten, then encoded as Zipkin's Thrift.

type Shape = (s: Span, i: number) => Span;

const SHAPES: Record<string, Shape> = {
  'as is': (s) => s,
  '128-bit trace IDs': (s) => ({ ...s, traceId: `463ac35c9f6413ad${s.traceId.slice(-16)}` }),
  'without kind': ({ kind: _, ...s }) => s,
  'all shared': (s) => ({ ...s, shared: true }),
  'none shared': ({ shared: _, ...s }) => s,
  'without local endpoints': ({ localEndpoint: _, ...s }) => s,
  'without remote endpoints': ({ remoteEndpoint: _, ...s }) => s,
  'remote = local (loopback)': (s) => (s.localEndpoint ? { ...s, remoteEndpoint: s.localEndpoint } : s),
  'remote with the local service name': (s) =>
    s.localEndpoint?.serviceName ? { ...s, remoteEndpoint: { serviceName: s.localEndpoint.serviceName, port: 1234 } } : s,
  'without timestamps': ({ timestamp: _t, duration: _d, ...s }) => s,
  'without duration': ({ duration: _, ...s }) => s,
  'upper-case names': (s) => ({
    ...s,
    name: s.name?.toUpperCase(),
    localEndpoint: s.localEndpoint && { ...s.localEndpoint, serviceName: s.localEndpoint.serviceName?.toUpperCase() },
  }),
  'ipv6 endpoints': (s, i) => ({
    ...s,
    localEndpoint: { ...s.localEndpoint, ipv6: i % 2 === 0 ? '2001:db8::c001' : 'fe80::1:0:0:1' },
    remoteEndpoint: s.remoteEndpoint && { ...s.remoteEndpoint, ipv6: '::ffff:10.0.0.1' },
  }),
  'parent = self': (s) => ({ ...s, parentId: s.id }),
  'debug, extra annotations and tags': (s, i) => ({
    ...s,
    debug: true,
    annotations: [...(s.annotations ?? []), { timestamp: (s.timestamp ?? 1) + i, value: 'custom' }],
    tags: { ...s.tags, '42': 'int-like key', __proto__x: 'y', lc: i % 3 === 0 ? '' : 'x' },
  }),
  'kinds rotated': (s, i) => ({ ...s, kind: (['CLIENT', 'SERVER', 'PRODUCER', 'CONSUMER', undefined] as const)[i % 5] }),
};

describe('Thrift fast path = general path', () => {
  const traces = sharedTraces();

  for (const [shape, f] of Object.entries(SHAPES)) {
    it(`shared traces, ${shape}`, () => {
      for (const t of traces) {
        const spans = t.spans.map(f);
        // Ten spans per message, as in the benchmarks, and the whole trace in one message.
        for (let i = 0; i < spans.length; i += 10) assertSamePaths(encodeThrift(spans.slice(i, i + 10)), `${t.name} @${i}`);
        const all = assertSamePaths(encodeThrift(spans), t.name);
        assert.deepEqual(all.errors, [], t.name);
      }
    });
  }

  it('hand-built odd spans', () => {
    for (const [what, span] of Object.entries(ODD_SPANS)) assertSamePaths(thriftList([span, { ...span, id: 99n }]), what);
  });

  it('random spans', () => {
    const prng = createPrng(20261125);
    for (let n = 0; n < 3000; n++) {
      const spans = Array.from({ length: prng.range(1, 4) }, () => randomSpan(prng));
      assertSamePaths(thriftList(spans), `case ${n}: ${JSON.stringify(spans, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))}`);
    }
  });
});

// ---------------------------------------------------------------------------------------------

const T0 = 1472470996199000n;
const FE: TEndpoint = { ipv4: ip4(172, 17, 0, 13), port: 8080, serviceName: 'frontend' };
const FE2: TEndpoint = { ...FE, port: 8081 };
const FE_UPPER: TEndpoint = { ...FE, serviceName: 'FrontEnd' };
const BE: TEndpoint = { ipv4: ip4(192, 168, 99, 101), port: 9000, serviceName: 'backend' };
const EMPTY_EP: TEndpoint = {};
const NAME_ONLY: TEndpoint = { serviceName: 'frontend' };
const NO_NAME: TEndpoint = { ipv4: ip4(10, 0, 0, 1), port: 80 };
const BLANK_NAME: TEndpoint = { serviceName: '' };
const V6: TEndpoint = { serviceName: 'six', ipv6: [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xc0, 0x01] };
const V6_COMPAT: TEndpoint = { serviceName: 'frontend', ipv6: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 1] };
const V6_MAPPED: TEndpoint = { serviceName: 'frontend', ipv6: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4] };
const V6_LOOPBACK: TEndpoint = { serviceName: 'backend', ipv6: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1] };
const V4_BYTES: TEndpoint = { serviceName: 'backend', ipv6: [10, 1, 2, 3] };
const NEG_PORT: TEndpoint = { serviceName: 'frontend', port: -1 };
const ENDPOINTS: (TEndpoint | undefined)[] = [
  FE,
  FE,
  FE,
  FE2,
  FE_UPPER,
  BE,
  undefined,
  EMPTY_EP,
  NAME_ONLY,
  NO_NAME,
  BLANK_NAME,
  V6,
  V6_COMPAT,
  V6_MAPPED,
  V6_LOOPBACK,
  V4_BYTES,
  NEG_PORT,
];

const u8 = (...b: number[]): number[] => b;
const ann = (offset: number, value: string, host?: TEndpoint): TAnnotation => ({ timestamp: T0 + BigInt(offset), value, host });
const str = (key: string, value: string, host?: TEndpoint): TBinaryAnnotation => ({ key, value, type: 6, host });
const addr = (key: string, host?: TEndpoint, value = u8(1)): TBinaryAnnotation => ({ key, value, type: 0, host });
const BASE: TSpan = { traceId: 0x86154a4ba6e91385n, id: 0x4d1e00c0db9010dbn, parentId: 0x86154a4ba6e91385n, name: 'Get' };
const CLIENT: TAnnotation[] = [ann(0, 'cs', FE), ann(100, 'cr', FE)];
const SERVER: TAnnotation[] = [ann(10, 'sr', BE), ann(90, 'ss', BE)];

/** Spans at and just beyond the edges of the fast path's shape. */
const ODD_SPANS: Record<string, TSpan> = {
  'client, sa': {
    ...BASE,
    timestamp: T0,
    duration: 100n,
    annotations: CLIENT,
    binaryAnnotations: [str('http.path', '/', FE), addr('sa', BE)],
  },
  'client, explicit times differ from cs..cr': { ...BASE, timestamp: T0 - 5n, duration: 7n, annotations: CLIENT },
  'client, timestamp without duration': { ...BASE, timestamp: T0 - 5n, annotations: CLIENT },
  'client, cr before cs': { ...BASE, annotations: [ann(100, 'cs', FE), ann(0, 'cr', FE)] },
  'client, negative cs': { ...BASE, annotations: [ann(-Number(T0) - 5, 'cs', FE), ann(0, 'cr', FE)] },
  'client only cs, span times': { ...BASE, timestamp: T0, duration: 5n, annotations: [ann(3, 'cs', FE)] },
  'client only cs, no span times': { ...BASE, annotations: [ann(3, 'cs', FE)] },
  'client only cs, negative span timestamp': { ...BASE, timestamp: -5n, duration: -3n, annotations: [ann(3, 'cs', FE)] },
  'lone cr that rebuilds cs': { ...BASE, timestamp: T0, duration: 100n, annotations: [ann(100, 'cr', FE)] },
  'lone cr': { ...BASE, annotations: [ann(100, 'cr', FE)] },
  'lone ss that rebuilds sr': { ...BASE, timestamp: T0, duration: 100n, annotations: [ann(100, 'ss', BE)] },
  'server, ca': { ...BASE, annotations: SERVER, binaryAnnotations: [addr('ca', FE)] },
  'server with times (not shared)': { ...BASE, timestamp: T0 + 10n, duration: 80n, annotations: SERVER },
  'server with timestamp, no duration (shared)': { ...BASE, timestamp: T0 + 10n, annotations: SERVER },
  'server only sr, with times': { ...BASE, timestamp: T0 + 10n, duration: 80n, annotations: [ann(10, 'sr', BE)] },
  'server only sr, no times': { ...BASE, annotations: [ann(10, 'sr', BE)], binaryAnnotations: [addr('ca', FE)] },
  'server, ca = server endpoint': { ...BASE, annotations: SERVER, binaryAnnotations: [addr('ca', BE)] },
  'server, ca with the server name (Finagle)': { ...BASE, annotations: SERVER, binaryAnnotations: [addr('ca', { ...BE, port: 63840 })] },
  'server, ca with only the server name': { ...BASE, annotations: SERVER, binaryAnnotations: [addr('ca', { serviceName: 'BACKEND' })] },
  'server, sa (ignored)': { ...BASE, annotations: SERVER, binaryAnnotations: [addr('sa', FE)] },
  'client, ca (ignored)': { ...BASE, annotations: CLIENT, binaryAnnotations: [addr('ca', BE)] },
  'shared span cs+sr, two services': { ...BASE, annotations: [...CLIENT, ...SERVER] },
  'loopback cs+sr': { ...BASE, annotations: [ann(0, 'cs', FE), ann(10, 'sr', FE), ann(90, 'ss', FE), ann(100, 'cr', FE)] },
  'cs and ss': { ...BASE, annotations: [ann(0, 'cs', FE), ann(90, 'ss', FE)] },
  'duplicate cs': { ...BASE, annotations: [ann(0, 'cs', FE), ann(5, 'cs', FE), ann(100, 'cr', FE)] },
  'duplicate cs, unsorted': { ...BASE, annotations: [ann(5, 'cs', FE), ann(0, 'cs', FE), ann(100, 'cr', FE)] },
  'duplicate cr, unsorted': { ...BASE, annotations: [ann(0, 'cs', FE), ann(100, 'cr', FE), ann(5, 'cr', FE)] },
  'duplicate ss, unsorted': { ...BASE, annotations: [ann(10, 'sr', BE), ann(100, 'ss', BE), ann(50, 'ss', BE)] },
  'same timestamp cs and cr': { ...BASE, annotations: [ann(0, 'cr', FE), ann(0, 'cs', FE)] },
  'messaging ms ws, ma': { ...BASE, annotations: [ann(0, 'ms', FE), ann(5, 'ws', FE)], binaryAnnotations: [addr('ma', BE)] },
  'messaging wr mr': { ...BASE, annotations: [ann(0, 'wr', FE), ann(5, 'mr', FE)] },
  'ws wr without messaging core': { ...BASE, annotations: [...CLIENT, ann(5, 'ws', FE), ann(6, 'wr', FE)] },
  'core annotations without endpoint': { ...BASE, annotations: [ann(0, 'cs'), ann(100, 'cr')] },
  'core annotations with an empty endpoint': { ...BASE, annotations: [ann(0, 'cs', EMPTY_EP), ann(100, 'cr', EMPTY_EP)] },
  'core annotations with a blank service name': { ...BASE, annotations: [ann(0, 'cs', BLANK_NAME), ann(100, 'cr', BLANK_NAME)] },
  'client with two ports of one service': { ...BASE, annotations: [ann(0, 'cs', FE), ann(100, 'cr', FE2)] },
  'client, tag on another service': { ...BASE, annotations: CLIENT, binaryAnnotations: [str('db', 'x', BE)] },
  'client, tag without endpoint': { ...BASE, annotations: CLIENT, binaryAnnotations: [str('a', 'x'), str('b', 'y', FE)] },
  'tags only, first without endpoint': { ...BASE, timestamp: T0, binaryAnnotations: [str('a', 'x'), str('b', 'y', BE)] },
  'no endpoints at all': { ...BASE, timestamp: T0, duration: 1n, annotations: [ann(1, 'foo')], binaryAnnotations: [str('a', 'x')] },
  'annotations unsorted': { ...BASE, annotations: [ann(5, 'b', FE), ann(1, 'a', FE), ...CLIENT] },
  'annotations duplicated': { ...BASE, annotations: [ann(5, 'a', FE), ann(5, 'a', FE), ...CLIENT] },
  'annotations same timestamp': { ...BASE, annotations: [ann(5, 'b', FE), ann(5, 'a', FE)] },
  'annotations interleaved with core': { ...BASE, annotations: [ann(0, 'cs', FE), ann(1, 'a', FE), ann(2, 'b', FE), ann(100, 'cr', FE)] },
  'annotation of another service': { ...BASE, annotations: [...CLIENT, ann(5, 'x', BE)] },
  'two-letter non-core annotation': { ...BASE, annotations: [...CLIENT, ann(5, 'xy', FE)] },
  'tags unsorted': { ...BASE, annotations: CLIENT, binaryAnnotations: [str('b', '1', FE), str('a', '2', FE)] },
  'tags duplicated': { ...BASE, annotations: CLIENT, binaryAnnotations: [str('a', '1', FE), str('a', '2', FE)] },
  'tags with integer-like keys': {
    ...BASE,
    annotations: CLIENT,
    binaryAnnotations: [str('10', '1', FE), str('9', '2', FE), str('a', '3', FE)],
  },
  'tag __proto__': { ...BASE, annotations: CLIENT, binaryAnnotations: [str('__proto__', 'p', FE), str('z', 'q', FE)] },
  'empty lc only': { ...BASE, timestamp: T0, duration: 3n, binaryAnnotations: [str('lc', '', V6)] },
  'non-empty lc': { ...BASE, timestamp: T0, duration: 3n, binaryAnnotations: [str('lc', 'x', V6)] },
  'sa only, no core': { ...BASE, timestamp: T0, binaryAnnotations: [addr('sa', BE), str('x', 'y', FE)] },
  'ca only, no core': { ...BASE, timestamp: T0, binaryAnnotations: [addr('ca', BE), str('x', 'y', FE)] },
  'ca and sa, no core': { ...BASE, timestamp: T0, binaryAnnotations: [addr('ca', BE), addr('sa', FE)] },
  'ma only, no core': { ...BASE, timestamp: T0, binaryAnnotations: [addr('ma', BE)] },
  'address as a string (lenient)': { ...BASE, annotations: CLIENT, binaryAnnotations: [str('sa', '1', BE)] },
  'address as a string without endpoint after a real one': {
    ...BASE,
    annotations: CLIENT,
    binaryAnnotations: [addr('sa', BE), str('sa', '1'), str('sa', 'x', FE), addr('sa')],
  },
  'addresses unsorted and repeated': {
    ...BASE,
    annotations: SERVER,
    binaryAnnotations: [addr('ca', FE), str('z', '1', BE), addr('ca', FE2), addr('ca', EMPTY_EP), addr('ca', FE, u8(0))],
  },
  'address false': { ...BASE, annotations: CLIENT, binaryAnnotations: [addr('sa', BE, u8(0))] },
  'address without endpoint': { ...BASE, annotations: CLIENT, binaryAnnotations: [addr('sa')] },
  'address with an empty endpoint': { ...BASE, annotations: CLIENT, binaryAnnotations: [addr('sa', EMPTY_EP)] },
  'typed binary annotations': {
    ...BASE,
    annotations: CLIENT,
    binaryAnnotations: [
      { key: 'b', value: u8(1), type: 0, host: FE },
      { key: 'bytes', value: u8(0xfb, 0xff), type: 1, host: FE },
      { key: 'd', value: u8(0x40, 0x24, 0, 0, 0, 0, 0, 0), type: 5, host: FE },
      { key: 'i16', value: u8(0xff, 0xfe), type: 2, host: FE },
      { key: 'unknown', value: 'x', type: 9, host: FE },
    ],
  },
  '128-bit trace ID': { ...BASE, traceIdHigh: 0x463ac35c9f6413adn, annotations: CLIENT },
  'zero high trace ID': { ...BASE, traceIdHigh: 0n, annotations: CLIENT },
  'parent = id': { ...BASE, parentId: BASE.id, annotations: CLIENT },
  'zero parent': { ...BASE, parentId: 0n, annotations: CLIENT },
  'no name, debug': { ...BASE, name: undefined, debug: true, annotations: CLIENT },
  'empty name': { ...BASE, name: '', annotations: CLIENT },
  'ipv6 local, mapped remote': { ...BASE, annotations: [ann(0, 'cs', V6), ann(9, 'cr', V6)], binaryAnnotations: [addr('sa', V6_MAPPED)] },
  'ipv4-compatible and loopback ipv6': {
    ...BASE,
    annotations: [ann(0, 'sr', V6_COMPAT), ann(9, 'ss', V6_COMPAT)],
    binaryAnnotations: [addr('ca', V6_LOOPBACK)],
  },
  'negative port': { ...BASE, annotations: [ann(0, 'cs', NEG_PORT), ann(9, 'cr', NEG_PORT)] },
};

// ---------------------------------------------------------------------------------------------

const ANNOTATION_VALUES = ['cs', 'cr', 'sr', 'ss', 'ms', 'mr', 'ws', 'wr', 'a', 'b', 'xy', ''];
const KEYS = ['ca', 'sa', 'ma', 'lc', 'a', 'b', 'http.path', '7', '__proto__'];

function randomTime(prng: Prng): bigint | undefined {
  return prng.pick([undefined, 0n, -3n, T0, T0 + 1n, T0 + 5n, T0 + 100n]);
}

function randomSpan(prng: Prng): TSpan {
  // Half the spans keep to one endpoint and ordered parts, to land in (or near) the fast path.
  const simple = prng.chance(0.5);
  const host = prng.pick(ENDPOINTS);
  const endpoint = (): TEndpoint | undefined => (simple ? host : prng.pick(ENDPOINTS));
  const annotations: TAnnotation[] = [];
  for (let i = prng.int(5); i > 0; i--) {
    annotations.push({
      timestamp: prng.pick([0n, -1n, T0, T0 + 1n, T0 + 5n, T0 + 100n]),
      value: prng.pick(ANNOTATION_VALUES),
      host: endpoint(),
    });
  }
  if (simple) annotations.sort((x, y) => (x.timestamp < y.timestamp ? -1 : x.timestamp > y.timestamp ? 1 : x.value < y.value ? -1 : 1));
  const binaryAnnotations: TBinaryAnnotation[] = [];
  for (let i = prng.int(5); i > 0; i--) {
    const key = prng.pick(KEYS);
    const type = prng.pick([6, 6, 6, 0, 0, 1, 3, 9]);
    const value = type === 6 ? prng.pick(['', 'x', 'y']) : prng.pick([u8(1), u8(0), u8(), u8(0, 0, 0, 7)]);
    binaryAnnotations.push({ key, value, type, host: isAddress(key) ? prng.pick(ENDPOINTS) : endpoint() });
  }
  if (simple) binaryAnnotations.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  const ids = [1n, 2n, 0x8000000000000000n];
  return {
    traceId: prng.pick([1n, -1n, 0x463ac35c9f6413adn]),
    traceIdHigh: prng.pick([undefined, 0n, 7n]),
    id: prng.pick(ids),
    parentId: prng.pick([undefined, 0n, ...ids]),
    name: prng.pick([undefined, '', 'get', 'GET']),
    timestamp: randomTime(prng),
    duration: prng.pick([undefined, 0n, -2n, 1n, 99n, 100n]),
    debug: prng.pick([undefined, false, true]),
    annotations: prng.chance(0.1) ? undefined : annotations,
    binaryAnnotations: prng.chance(0.1) ? undefined : binaryAnnotations,
  };
}

function isAddress(key: string): boolean {
  return key === 'ca' || key === 'sa' || key === 'ma';
}
