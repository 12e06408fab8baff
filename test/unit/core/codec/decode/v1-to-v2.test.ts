/**
 * V1SpanConverter rules, one hand-built v1 span per rule with the v2 result spelled out. The same
 * rules are also checked against Zipkin's own output (zipkin-golden.json) in json-v1.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { base64UrlPadded, convertSimpleV1Span, convertV1ToV2, formatJavaDouble } from '../../../../../core/codec/decode/v1-to-v2.js';
import { convertV2ToV1 } from '../../../../../core/codec/encode/v2-to-v1.js';
import { isNormalizeFailure, normalizeSpan } from '../../../../../core/model/normalize.js';
import type { Endpoint, Span } from '../../../../../core/model/span.js';
import type { V1Annotation, V1BinaryAnnotation, V1Span } from '../../../../../core/model/v1.js';
import { present } from '../../../../helpers/spans.js';
import { sharedTraces } from '../../../../helpers/traffic.js';

const FE: Endpoint = { serviceName: 'frontend', ipv4: '172.17.0.13', port: 8080 };
const BE: Endpoint = { serviceName: 'backend', ipv4: '192.168.99.101', port: 9000 };
const KAFKA: Endpoint = { serviceName: 'kafka', ipv4: '10.0.0.9', port: 9092 };
const T = 1472470996199000;
const IDS = { traceId: '86154a4ba6e91385', parentId: '86154a4ba6e91385', id: '4d1e00c0db9010db', name: 'get' };

function a(offset: number, value: string, endpoint?: Endpoint): V1Annotation {
  return { timestamp: T + offset, value, endpoint };
}

function b(key: string, value: string | boolean, endpoint?: Endpoint): V1BinaryAnnotation {
  return { key, value, endpoint };
}

function span(extra: Partial<V1Span>): V1Span {
  return { ...IDS, annotations: [], binaryAnnotations: [], ...extra };
}

/** convertV1ToV2 then normalizeSpan, as the decoders do. */
function general(v1: V1Span): Span[] {
  return convertV1ToV2(v1).map((raw) => {
    const s = normalizeSpan(raw);
    assert.ok(!isNormalizeFailure(s), JSON.stringify(s));
    return s;
  });
}

const HEX16 = /^(?!0{16})[0-9a-f]{16}$/;

/** IDs as the Thrift reader makes them: convertSimpleV1Span's precondition. */
function hasReaderIds(v1: V1Span): boolean {
  const optional = (id: string | undefined) => id === undefined || HEX16.test(id);
  return HEX16.test(v1.traceId) && HEX16.test(v1.id) && optional(v1.parentId) && optional(v1.traceIdHigh);
}

/** The general path; every span that the fast path takes must come out of it identical. */
function convert(v1: V1Span): Span[] {
  const out = general(v1);
  const simple = hasReaderIds(v1) ? convertSimpleV1Span(v1) : undefined;
  if (simple !== undefined) {
    assert.deepStrictEqual([simple], out);
    assert.equal(JSON.stringify([simple]), JSON.stringify(out));
  }
  return out;
}

const base = { traceId: IDS.traceId, parentId: IDS.parentId, id: IDS.id, name: 'get' };

describe('convertV1ToV2: RPC core annotations', () => {
  it('cs+sr with the same service name splits a loopback span into client and shared server', () => {
    const out = convert(
      span({ timestamp: T, duration: 207000, annotations: [a(0, 'cs', FE), a(4000, 'sr', FE), a(13000, 'ss', FE), a(207000, 'cr', FE)] }),
    );
    assert.deepEqual(present(out), [
      { ...base, kind: 'CLIENT', timestamp: T, duration: 207000, localEndpoint: FE },
      { ...base, kind: 'SERVER', timestamp: T + 4000, duration: 9000, localEndpoint: FE, shared: true },
    ]);
  });

  it('cs+sr with different services routes each side to its own span, server shared', () => {
    const out = convert(span({ annotations: [a(0, 'cs', FE), a(4000, 'sr', BE), a(13000, 'ss', BE), a(207000, 'cr', FE)] }));
    assert.deepEqual(present(out), [
      { ...base, kind: 'CLIENT', timestamp: T, duration: 207000, localEndpoint: FE },
      { ...base, kind: 'SERVER', timestamp: T + 4000, duration: 9000, localEndpoint: BE, shared: true },
    ]);
  });

  it('one-way (cs+sr, no cr, no span duration) leaves the client without duration', () => {
    const out = convert(span({ annotations: [a(0, 'cs', FE), a(4000, 'sr', BE)] }));
    assert.deepEqual(present(out), [
      { ...base, kind: 'CLIENT', timestamp: T, localEndpoint: FE },
      { ...base, kind: 'SERVER', timestamp: T + 4000, localEndpoint: BE, shared: true },
    ]);
  });

  it('sr without cs and no span timestamp is shared; with timestamp and duration it is not', () => {
    const anns = [a(4000, 'sr', BE), a(13000, 'ss', BE)];
    assert.deepEqual(present(convert(span({ annotations: anns }))), [
      { ...base, kind: 'SERVER', timestamp: T + 4000, duration: 9000, localEndpoint: BE, shared: true },
    ]);
    assert.deepEqual(present(convert(span({ timestamp: T + 4000, duration: 9000, annotations: anns }))), [
      { ...base, kind: 'SERVER', timestamp: T + 4000, duration: 9000, localEndpoint: BE },
    ]);
    // Timestamp without duration although ss is there: the MySQL shared-row case, shared again.
    assert.equal(convert(span({ timestamp: T + 4000, annotations: anns }))[0]?.shared, true);
  });

  it('cs only is an incomplete client: timestamp from cs, no duration', () => {
    assert.deepEqual(present(convert(span({ annotations: [a(0, 'cs', FE)] }))), [
      { ...base, kind: 'CLIENT', timestamp: T, localEndpoint: FE },
    ]);
  });

  it('cr only keeps cr as an annotation; ss only likewise', () => {
    assert.deepEqual(present(convert(span({ annotations: [a(9, 'cr', FE)] }))), [
      { ...base, kind: 'CLIENT', localEndpoint: FE, annotations: [{ timestamp: T + 9, value: 'cr' }] },
    ]);
    assert.deepEqual(present(convert(span({ annotations: [a(9, 'ss', BE)] }))), [
      { ...base, kind: 'SERVER', localEndpoint: BE, annotations: [{ timestamp: T + 9, value: 'ss' }] },
    ]);
  });

  it('an incomplete span keeps an explicit timestamp/duration on the first span', () => {
    assert.deepEqual(present(convert(span({ timestamp: T - 1, duration: 50, annotations: [a(0, 'cs', FE)] }))), [
      { ...base, kind: 'CLIENT', timestamp: T - 1, duration: 50, localEndpoint: FE },
    ]);
  });

  it('rebuilds a missing cs (sr) when span.timestamp + duration equals cr (ss)', () => {
    assert.deepEqual(present(convert(span({ timestamp: T, duration: 207000, annotations: [a(207000, 'cr', FE)] }))), [
      { ...base, kind: 'CLIENT', timestamp: T, duration: 207000, localEndpoint: FE },
    ]);
    assert.deepEqual(present(convert(span({ timestamp: T, duration: 9, annotations: [a(9, 'ss', BE)] }))), [
      { ...base, kind: 'SERVER', timestamp: T, duration: 9, localEndpoint: BE },
    ]);
  });

  it('explicit span timestamp and duration win over cs..cr', () => {
    const out = convert(span({ timestamp: T - 5, duration: 300, annotations: [a(0, 'cs', FE), a(200, 'cr', FE)] }));
    assert.deepEqual(present(out), [{ ...base, kind: 'CLIENT', timestamp: T - 5, duration: 300, localEndpoint: FE }]);
  });

  it('core annotations without endpoint are plain annotations', () => {
    assert.deepEqual(present(convert(span({ timestamp: T, duration: 10, annotations: [a(0, 'cs'), a(10, 'cr')] }))), [
      {
        ...base,
        timestamp: T,
        duration: 10,
        annotations: [
          { timestamp: T, value: 'cs' },
          { timestamp: T + 10, value: 'cr' },
        ],
      },
    ]);
  });

  it('sorts annotations by (timestamp, value) before routing, as V1Span does', () => {
    // Unsorted, "be-first" (backend) would come last; sorted it comes first and so takes the
    // first span, which is why the server side is listed first.
    const out = convert(span({ annotations: [a(10, 'cr', FE), a(8, 'ss', BE), a(5, 'sr', BE), a(0, 'cs', FE), a(-1, 'be-first', BE)] }));
    assert.deepEqual(
      out.map((s) => [s.kind, s.localEndpoint?.serviceName, s.annotations]),
      [
        ['SERVER', 'backend', [{ timestamp: T - 1, value: 'be-first' }]],
        ['CLIENT', 'frontend', undefined],
      ],
    );
  });
});

describe('convertV1ToV2: messaging', () => {
  it('ms+ws is a producer timed ms..ws, with ma as remote', () => {
    assert.deepEqual(
      present(convert(span({ annotations: [a(0, 'ms', FE), a(50, 'ws', FE)], binaryAnnotations: [b('ma', true, KAFKA)] }))),
      [{ ...base, kind: 'PRODUCER', timestamp: T, duration: 50, localEndpoint: FE, remoteEndpoint: KAFKA }],
    );
  });

  it('wr+mr is a consumer timed wr..mr; mr alone has no duration', () => {
    assert.deepEqual(present(convert(span({ annotations: [a(100, 'wr', BE), a(180, 'mr', BE)] }))), [
      { ...base, kind: 'CONSUMER', timestamp: T + 100, duration: 80, localEndpoint: BE },
    ]);
    assert.deepEqual(present(convert(span({ annotations: [a(180, 'mr', BE)] }))), [
      { ...base, kind: 'CONSUMER', timestamp: T + 180, localEndpoint: BE },
    ]);
  });

  it('ms+mr of one service splits into producer and shared consumer', () => {
    const out = convert(
      span({
        annotations: [a(0, 'ms', FE), a(50, 'ws', FE), a(100, 'wr', FE), a(180, 'mr', FE)],
        binaryAnnotations: [b('ma', true, KAFKA)],
      }),
    );
    // "ma" goes to forEndpoint(mr.endpoint), which is the producer (same service name): Zipkin's
    // forked consumer gets no broker address.
    assert.deepEqual(present(out), [
      { ...base, kind: 'PRODUCER', timestamp: T, duration: 50, localEndpoint: FE, remoteEndpoint: KAFKA },
      { ...base, kind: 'CONSUMER', timestamp: T + 100, duration: 80, localEndpoint: FE, shared: true },
    ]);
  });

  it('ws/wr without ms/mr stay annotations', () => {
    assert.deepEqual(present(convert(span({ timestamp: T, duration: 200, annotations: [a(10, 'ws', FE), a(20, 'wr', FE)] }))), [
      {
        ...base,
        timestamp: T,
        duration: 200,
        localEndpoint: FE,
        annotations: [
          { timestamp: T + 10, value: 'ws' },
          { timestamp: T + 20, value: 'wr' },
        ],
      },
    ]);
  });
});

describe('convertV1ToV2: addresses (ca/sa/ma)', () => {
  it('ca+sa without core annotations: the ca endpoint becomes local, sa remote', () => {
    assert.deepEqual(present(convert(span({ timestamp: T, duration: 10, binaryAnnotations: [b('ca', true, FE), b('sa', true, BE)] }))), [
      { ...base, timestamp: T, duration: 10, localEndpoint: FE, remoteEndpoint: BE },
    ]);
  });

  it('sa alone without core annotations is a remote endpoint, not a client', () => {
    const out = convert(span({ timestamp: T, duration: 10, binaryAnnotations: [b('sa', true, BE)] }));
    assert.deepEqual(present(out), [{ ...base, timestamp: T, duration: 10, remoteEndpoint: BE }]);
  });

  it('ca alone without core annotations makes a server', () => {
    const out = convert(span({ timestamp: T, duration: 10, binaryAnnotations: [b('ca', true, FE)] }));
    assert.deepEqual(present(out), [{ ...base, kind: 'SERVER', timestamp: T, duration: 10, remoteEndpoint: FE }]);
  });

  it('sa is the client remote, ca the server remote', () => {
    const out = convert(
      span({
        annotations: [a(0, 'cs', FE), a(4, 'sr', BE), a(8, 'ss', BE), a(10, 'cr', FE)],
        binaryAnnotations: [b('ca', true, FE), b('sa', true, BE)],
      }),
    );
    assert.deepEqual(present(out.map((s) => [s.kind, s.remoteEndpoint])), [
      ['CLIENT', BE],
      ['SERVER', FE],
    ]);
  });

  it("a ca with the server's own service name loses the name (Finagle client port)", () => {
    const out = convert(
      span({ annotations: [a(4, 'sr', BE), a(8, 'ss', BE)], binaryAnnotations: [b('ca', true, { ...BE, port: 63840 })] }),
    );
    assert.deepEqual(present(out[0]?.remoteEndpoint), { ipv4: BE.ipv4, port: 63840 });
  });

  it('a ca equal to the server endpoint is ignored', () => {
    const out = convert(span({ annotations: [a(4, 'sr', BE), a(8, 'ss', BE)], binaryAnnotations: [b('ca', true, BE)] }));
    assert.equal(out[0]?.remoteEndpoint, undefined);
  });

  it('address keys are recognised whatever the value (zipkin-ruby wrote "1"); false or no endpoint is no address', () => {
    const anns = [a(0, 'cs', FE), a(9, 'cr', FE)];
    assert.deepEqual(present(convert(span({ annotations: anns, binaryAnnotations: [b('sa', '1', BE)] }))[0]?.remoteEndpoint), BE);
    assert.equal(convert(span({ annotations: anns, binaryAnnotations: [b('sa', false, BE)] }))[0]?.remoteEndpoint, undefined);
    assert.equal(convert(span({ annotations: anns, binaryAnnotations: [b('sa', true)] }))[0]?.remoteEndpoint, undefined);
    assert.equal(
      convert(span({ annotations: anns, binaryAnnotations: [b('sa', true, { serviceName: '' })] }))[0]?.remoteEndpoint,
      undefined,
    );
  });
});

describe('convertV1ToV2: binary annotations, local component, IDs', () => {
  it('an empty lc only gives a local span its endpoint; a non-empty lc is a tag', () => {
    assert.deepEqual(present(convert(span({ timestamp: T, duration: 150, binaryAnnotations: [b('lc', '', FE)] }))), [
      { ...base, timestamp: T, duration: 150, localEndpoint: FE },
    ]);
    assert.deepEqual(convert(span({ timestamp: T, duration: 150, binaryAnnotations: [b('lc', 'async', FE)] }))[0]?.tags, { lc: 'async' });
  });

  it('tags and annotations go to the span of their endpoint; no endpoint means the first span', () => {
    const out = convert(
      span({
        annotations: [
          a(0, 'cs', FE),
          a(1, 'custom', FE),
          a(5, 'sr', BE),
          a(6, 'cache.miss', BE),
          a(8, 'ss', BE),
          a(10, 'cr', FE),
          a(11, 'orphan'),
        ],
        binaryAnnotations: [b('error', 'timeout', FE), b('error', 'refused', BE), b('orphan.tag', 'x')],
      }),
    );
    assert.deepEqual(
      out.map((s) => [s.localEndpoint?.serviceName, s.annotations?.map((x) => x.value), s.tags]),
      [
        ['frontend', ['custom', 'orphan'], { error: 'timeout', 'orphan.tag': 'x' }],
        ['backend', ['cache.miss'], { error: 'refused' }],
      ],
    );
  });

  it('boolean tags (hand-built V1Span) become "true"/"false"; duplicate keys: last in key order wins', () => {
    const out = convert(
      span({ timestamp: T, duration: 1, binaryAnnotations: [b('k', 'one', FE), b('flag', false, FE), b('k', 'two', FE)] }),
    );
    assert.deepEqual(out[0]?.tags, { flag: 'false', k: 'two' });
  });

  it('a "__proto__" tag is kept as data', () => {
    const out = convert(span({ timestamp: T, duration: 1, binaryAnnotations: [b('__proto__', 'x', FE)] }));
    assert.deepEqual(Object.entries(out[0]?.tags ?? {}), [['__proto__', 'x']]);
  });

  it('joins traceIdHigh and traceId into a 128-bit ID', () => {
    const out = convert(span({ traceIdHigh: '463ac35c9f6413ad', traceId: '48485a3953bb6124', timestamp: T, duration: 1 }));
    assert.equal(out[0]?.traceId, '463ac35c9f6413ad48485a3953bb6124');
    const padded = convert(span({ traceIdHigh: '463ac35c9f6413ad', traceId: 'abc', timestamp: T, duration: 1 }));
    assert.equal(padded[0]?.traceId, '463ac35c9f6413ad0000000000000abc');
  });

  it('copies name, parentId and debug to every split span; negative times become absent', () => {
    const out = convert(span({ name: 'GET', debug: true, timestamp: -5, duration: -10, annotations: [a(0, 'cs', FE), a(1, 'sr', FE)] }));
    assert.equal(out.length, 2);
    for (const s of out) {
      assert.equal(s.name, 'get');
      assert.equal(s.parentId, IDS.parentId);
      assert.equal(s.debug, true);
    }
    const neg = convert(span({ timestamp: -5, duration: -10 }));
    assert.deepEqual(present(neg), [{ ...base }]);
  });

  it('endpoints are compared after normalisation (service name case, empty name)', () => {
    const out = convert(
      span({
        annotations: [a(0, 'cs', { serviceName: 'FrontEnd', ipv4: '1.2.3.4' }), a(9, 'cr', { serviceName: 'frontend', ipv4: '1.2.3.4' })],
      }),
    );
    assert.deepEqual(present(out), [
      { ...base, kind: 'CLIENT', timestamp: T, duration: 9, localEndpoint: { serviceName: 'frontend', ipv4: '1.2.3.4' } },
    ]);
  });
});

describe('convertSimpleV1Span (the Thrift fast path)', () => {
  it('takes nearly every span of the shared traces, with the result of the general path', () => {
    let taken = 0;
    let all = 0;
    for (const t of sharedTraces()) {
      for (const s of t.spans) {
        const v1 = convertV2ToV1(s);
        const simple = convertSimpleV1Span(v1);
        all++;
        if (simple === undefined) continue;
        taken++;
        assert.deepStrictEqual([simple], general(v1), `${t.name} ${s.id}`);
      }
    }
    assert.ok(taken >= 0.9 * all, `${taken} of ${all}`);
  });

  it('takes one endpoint with one RPC side, sorted annotations, tags and addresses', () => {
    const shapes: V1Span[] = [
      span({ annotations: [a(0, 'cs', FE), a(5, 'x', FE), a(9, 'cr', FE)], binaryAnnotations: [b('k', 'v', FE), b('sa', true, BE)] }),
      span({ timestamp: T, annotations: [a(0, 'sr', BE)], binaryAnnotations: [b('ca', true, FE), b('k', 'v')] }),
      span({ timestamp: T, duration: 5, binaryAnnotations: [b('lc', '', FE)] }),
      span({ binaryAnnotations: [b('ca', true, FE), b('z', 'v', BE), b('a', '1', BE)] }),
      span({ traceIdHigh: '463ac35c9f6413ad', parentId: undefined, debug: true }),
    ];
    for (const v1 of shapes) {
      assert.ok(convertSimpleV1Span(v1) !== undefined, JSON.stringify(v1));
      convert(v1);
    }
  });

  it('leaves everything else to the general path', () => {
    const shapes: V1Span[] = [
      span({ annotations: [a(0, 'cs', FE), a(4, 'sr', BE), a(6, 'ss', BE), a(9, 'cr', FE)] }), // two services
      span({ annotations: [a(0, 'cs', FE), a(4, 'sr', FE)] }), // loopback
      span({ annotations: [a(0, 'cs', FE), a(9, 'cr', { ...FE, port: 1 })] }), // two endpoints
      span({ annotations: [a(0, 'cs'), a(9, 'cr')] }), // no endpoint
      span({ annotations: [a(0, 'cs', {}), a(9, 'cr', {})] }), // empty endpoint
      span({ timestamp: T, duration: 9, annotations: [a(9, 'cr', FE)] }), // lone cr
      span({ annotations: [a(0, 'cs', FE), a(1, 'cs', FE)] }), // duplicate
      span({ annotations: [a(0, 'ms', FE), a(1, 'ws', FE)] }), // messaging
      span({ annotations: [a(0, 'cs', FE), a(1, 'wr', FE)] }), // wire timing
      span({ annotations: [a(5, 'x', FE), a(1, 'y', FE)] }), // unsorted
      span({ annotations: [a(5, 'x', FE), a(5, 'x', FE)] }), // duplicate annotation
      span({ binaryAnnotations: [b('ca', true, FE), b('sa', true, BE)] }), // ca+sa without core
      span({ annotations: [a(0, 'cs', FE)], binaryAnnotations: [b('k', 'v', BE)] }), // tag of another service
    ];
    for (const v1 of shapes) {
      assert.equal(convertSimpleV1Span(v1), undefined, JSON.stringify(v1));
      convert(v1);
    }
  });
});

describe('typed value text forms (zipkin 1.x)', () => {
  it("formats doubles as Java's Double.toString", () => {
    const cases: [number, string][] = [
      [1, '1.0'],
      [1.5, '1.5'],
      [-2.25, '-2.25'],
      [0, '0.0'],
      [-0, '-0.0'],
      [0.001, '0.001'],
      [0.0001, '1.0E-4'],
      [1234567, '1234567.0'],
      [1e7, '1.0E7'],
      [1e10, '1.0E10'],
      [123456789.123, '1.23456789123E8'],
      [0.1 + 0.2, '0.30000000000000004'],
      [Number.MAX_VALUE, '1.7976931348623157E308'],
      [Number.MIN_VALUE, '4.9E-324'],
      [Number.NaN, 'NaN'],
      [Number.POSITIVE_INFINITY, 'Infinity'],
      [Number.NEGATIVE_INFINITY, '-Infinity'],
    ];
    for (const [v, text] of cases) assert.equal(formatJavaDouble(v), text, String(v));
  });

  it('writes bytes as padded base64url', () => {
    assert.equal(base64UrlPadded(Uint8Array.from([0xfb, 0xff, 0x01])), '-_8B');
    assert.equal(base64UrlPadded(Uint8Array.from([1])), 'AQ==');
    assert.equal(base64UrlPadded(new Uint8Array(0)), '');
  });
});
