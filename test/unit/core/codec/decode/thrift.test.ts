import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeThriftList, decodeThriftListGeneral, decodeThriftSpan, MAX_DEPTH } from '../../../../../core/codec/decode/thrift.js';
import { convertV1ToV2 } from '../../../../../core/codec/decode/v1-to-v2.js';
import { convertV2ToV1 } from '../../../../../core/codec/encode/v2-to-v1.js';
import { isNormalizeFailure, normalizeSpan, type RawSpan } from '../../../../../core/model/normalize.js';
import type { DecodeResult, Endpoint, Span } from '../../../../../core/model/span.js';
import { present } from '../../../../helpers/spans.js';
import {
  allCases,
  ip4,
  loadGolden,
  TB,
  type TEndpoint,
  THRIFT_CASES,
  type TSpan,
  TT,
  thriftList,
  thriftOne,
  writeSpan,
} from '../fixtures/zipkin-cases.js';

/** A hang guard for the hostile-input cases, not a speed claim (speed is the benchmark's job). */
const HANG_GUARD_MS = 60_000;

const golden = loadGolden();

function normalizeAll(raws: readonly unknown[]): Span[] {
  return raws.map((raw) => {
    const s = normalizeSpan(raw as RawSpan);
    assert.ok(!isNormalizeFailure(s), JSON.stringify(s));
    return s;
  });
}

function zipkinSpans(name: string): Span[] {
  const g = golden[name];
  assert.ok(g?.v2, `no golden v2 for ${name}: ${g?.error}`);
  return normalizeAll(g.v2);
}

function plain(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v));
}

function codes(r: DecodeResult): [number, string][] {
  return r.errors.map((e) => [e.index, e.code]);
}

const T0 = 1472470996199000n;
const OK_SPAN: TSpan = { traceId: 1n, id: 1n, name: 'ok', timestamp: T0, duration: 1n };
const FE = { ipv4: ip4(172, 17, 0, 13), port: 8080, serviceName: 'frontend' };

describe('decodeThriftList / decodeThriftSpan match Zipkin (golden vectors)', () => {
  for (const [name, c] of Object.entries(THRIFT_CASES)) {
    const key = `${c.kind}:${name}`;
    it(name, () => {
      const r = c.kind === 'thrift' ? decodeThriftList(c.bytes) : decodeThriftSpan(c.bytes);
      assert.equal(r.encoding, 'thrift');
      if (name === 'zero trace ID (Zipkin refuses the message)') {
        assert.match(golden[key]?.error ?? '', /traceId == 0/);
        assert.deepEqual(codes(r), [[1, 'invalid_id']]);
        assert.deepEqual(
          r.spans.map((s) => s.id),
          ['0000000000000001', '0000000000000003'],
        );
        return;
      }
      const expected = zipkinSpans(key);
      assert.deepEqual(r.errors, []);
      if (name.startsWith('typed binary annotations')) {
        // Allowed difference: zipkin2 keeps only STRING values (and BOOL addresses); by default we
        // keep the other types as zipkin 1.x did. 'drop' matches zipkin2 exactly.
        assert.deepEqual(plain(decodeThriftList(c.bytes, { typedBinaryAnnotations: 'drop' }).spans), plain(expected));
        assert.deepEqual(r.spans[0]?.tags, {
          'bool.false': 'false',
          'bool.true': 'true',
          bytes: '-_8B',
          double: '1.0E10',
          'double.small': '0.001',
          i16: '-2',
          i32: '2147483647',
          i64: '9007199254740993',
          string: 'text',
        });
        return;
      }
      if (name === 'legacy single span (loopback)') {
        // Allowed difference: Zipkin's decodeOne keeps only the first v2 span; we keep the server half too.
        assert.deepEqual(plain(r.spans.slice(0, 1)), plain(expected));
        assert.deepEqual(
          r.spans.map((s) => [s.kind, s.shared]),
          [
            ['CLIENT', undefined],
            ['SERVER', true],
          ],
        );
        return;
      }
      assert.deepEqual(plain(r.spans), plain(expected));
    });
  }

  it('decodes the Thrift bytes Zipkin itself encoded for the shared traces', () => {
    let checked = 0;
    for (const c of allCases()) {
      const g = golden[c.name];
      // (The largest trace's bytes are only kept as a digest; the encoder tests cover it.)
      if (c.kind !== 'v2' || g?.thrift === undefined) continue;
      checked++;
      const parsed: unknown = JSON.parse(new TextDecoder().decode(c.bytes));
      const input = normalizeAll(Array.isArray(parsed) ? parsed : [parsed]);
      // What Zipkin's own v2 → v1 → v2 gives (the v1 model cannot hold everything, e.g. the kind
      // of a span without timestamp): the converters, checked against Zipkin elsewhere.
      const expected = input.flatMap((s) => normalizeAll(convertV1ToV2(convertV2ToV1(s))));
      const r = decodeThriftList(Buffer.from(g.thrift, 'hex'));
      assert.deepEqual(r.errors, [], c.name);
      assert.deepEqual(plain(r.spans), plain(expected), c.name);
    }
    assert.ok(checked >= 8);
  });
});

describe('decodeThrift salvage', () => {
  it('a timestamp beyond 2^53 refuses that span only', () => {
    const bytes = thriftList([
      OK_SPAN,
      { ...OK_SPAN, id: 2n, timestamp: 2n ** 53n },
      { ...OK_SPAN, id: 3n, annotations: [{ timestamp: -(2n ** 60n), value: 'x' }] },
      { ...OK_SPAN, id: 4n },
    ]);
    const r = decodeThriftList(bytes);
    assert.deepEqual(codes(r), [
      [1, 'invalid_field'],
      [2, 'invalid_field'],
    ]);
    assert.deepEqual(
      r.spans.map((s) => s.id),
      ['0000000000000001', '0000000000000004'],
    );
    // The offset is the bad i64 itself.
    assert.equal(Buffer.from(bytes.subarray(r.errors[0]?.offset, (r.errors[0]?.offset ?? 0) + 8)).toString('hex'), '0020000000000000');
  });

  it('times up to 2^53 - 1 are exact; negative ones become absent', () => {
    const r = decodeThriftList(thriftList([{ ...OK_SPAN, timestamp: 2n ** 53n - 1n, duration: -5n }]));
    assert.equal(r.spans[0]?.timestamp, 2 ** 53 - 1);
    assert.equal(r.spans[0]?.duration, undefined);
  });

  it('missing or zero IDs refuse the span', () => {
    const noId = new TB().listHeader(TT.STRUCT, 2).field(TT.I64, 1).i64(5).stop();
    writeSpan(noId, OK_SPAN);
    const r = decodeThriftList(noId.bytes());
    assert.deepEqual(codes(r), [[0, 'missing_field']]);
    assert.equal(r.spans.length, 1);
    assert.deepEqual(codes(decodeThriftList(thriftList([{ ...OK_SPAN, id: 0n }]))), [[0, 'invalid_id']]);
    const noTrace = new TB().listHeader(TT.STRUCT, 1).field(TT.I64, 4).i64(5).stop();
    assert.deepEqual(codes(decodeThriftList(noTrace.bytes())), [[0, 'missing_field']]);
  });

  it('a typed value too short for its type refuses the span, the list goes on', () => {
    const bad: TSpan = { ...OK_SPAN, id: 2n, binaryAnnotations: [{ key: 'i32', value: [0, 1], type: 3, host: FE }] };
    const r = decodeThriftList(thriftList([bad, OK_SPAN]));
    assert.deepEqual(codes(r), [[0, 'invalid_field']]);
    assert.equal(r.spans.length, 1);
    // Dropped, not refused, when typed values are dropped anyway.
    assert.deepEqual(decodeThriftList(thriftList([bad]), { typedBinaryAnnotations: 'drop' }).errors, []);
  });

  it('an annotations list of non-structs is skipped whole and refuses the span', () => {
    const t = new TB().listHeader(TT.STRUCT, 2);
    t.field(TT.I64, 1).i64(1).field(TT.I64, 4).i64(2);
    t.field(TT.LIST, 6).listHeader(TT.I32, 3).i32(1).i32(2).i32(3).stop();
    writeSpan(t, OK_SPAN);
    const r = decodeThriftList(t.bytes());
    assert.deepEqual(codes(r), [[0, 'invalid_field']]);
    assert.equal(r.spans.length, 1);
  });

  it('strings decode leniently, like Java (invalid UTF-8 → U+FFFD)', () => {
    const t = new TB().listHeader(TT.STRUCT, 1).field(TT.I64, 1).i64(1).field(TT.I64, 4).i64(2);
    t.field(TT.STRING, 3).bin([0x61, 0xff, 0x62]).stop();
    assert.equal(decodeThriftList(t.bytes()).spans[0]?.name, 'a\ufffdb');
  });

  it('ignores bytes after the last span, as Zipkin', () => {
    const bytes = Uint8Array.from([...thriftList([OK_SPAN]), 0xde, 0xad]);
    assert.deepEqual(decodeThriftList(bytes).errors, []);
    assert.deepEqual(decodeThriftSpan(Uint8Array.from([...thriftOne(OK_SPAN), 0xbe, 0xef])).errors, []);
  });
});

describe('decodeThrift reuse of repeated values', () => {
  it('trace IDs that differ in one half only, within and across messages', () => {
    const ids = [0x0000000100000002n, 0x0000000100000003n, 0x0000000200000003n, 0x0000000200000003n, 0x0000000100000002n];
    for (let round = 0; round < 2; round++) {
      const r = decodeThriftList(thriftList(ids.map((traceId, i) => ({ ...OK_SPAN, traceId, id: BigInt(i + 1) }))));
      assert.deepEqual(
        r.spans.map((s) => s.traceId),
        ids.map((id) => id.toString(16).padStart(16, '0')),
      );
    }
  });

  it('endpoints alike in their first bytes keep their own fields, within and across messages', () => {
    const ip = ip4(10, 0, 0, 1);
    const v6 = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    const long = 'x'.repeat(100); // a struct too long to be kept
    const hosts: [TEndpoint, Endpoint][] = [
      [
        { ipv4: ip, port: 80, serviceName: 'a' },
        { serviceName: 'a', ipv4: '10.0.0.1', port: 80 },
      ],
      [
        { ipv4: ip, port: 80, serviceName: 'b' },
        { serviceName: 'b', ipv4: '10.0.0.1', port: 80 },
      ],
      [
        { ipv4: ip, port: 80, serviceName: 'a', ipv6: v6 },
        { serviceName: 'a', ipv4: '10.0.0.1', ipv6: 'fe80::1', port: 80 },
      ],
      [
        { ipv4: ip, port: 80, serviceName: long },
        { serviceName: long, ipv4: '10.0.0.1', port: 80 },
      ],
      [
        { ipv4: ip, port: 80 },
        { ipv4: '10.0.0.1', port: 80 },
      ],
      [
        { ipv4: ip, port: 81, serviceName: 'a' },
        { serviceName: 'a', ipv4: '10.0.0.1', port: 81 },
      ],
      [{ serviceName: 'a' }, { serviceName: 'a' }],
      [{ serviceName: 'A' }, { serviceName: 'a' }],
    ];
    const spans = (order: number[]): TSpan[] =>
      order.map((h, i) => {
        const host = (hosts[h] as [TEndpoint, Endpoint])[0];
        const peer = (hosts[(h + 1) % hosts.length] as [TEndpoint, Endpoint])[0];
        return {
          ...OK_SPAN,
          id: BigInt(i + 1),
          annotations: [
            { timestamp: T0, value: 'cs', host },
            { timestamp: T0 + 1n, value: 'cr', host },
          ],
          binaryAnnotations: [
            { key: 'k', value: 'v', type: 6, host },
            { key: 'sa', value: [1], type: 0, host: peer },
          ],
        };
      });
    const orders = [
      [0, 1, 2, 3, 4, 5, 6, 7],
      [7, 6, 5, 4, 3, 2, 1, 0],
      [0, 1, 0, 1, 2, 0, 6, 7, 6, 3, 3, 4, 5, 4],
    ];
    for (let round = 0; round < 2; round++) {
      for (const order of orders) {
        for (const r of [decodeThriftList(thriftList(spans(order))), decodeThriftListGeneral(thriftList(spans(order)))]) {
          assert.deepEqual(r.errors, []);
          assert.deepEqual(
            present(r.spans.map((s) => [s.localEndpoint, s.remoteEndpoint])),
            order.map((h) => [hosts[h]?.[1], hosts[(h + 1) % hosts.length]?.[1]]),
          );
        }
      }
    }
  });
});

describe('decodeThrift framing errors and hostile input (never throws)', () => {
  it('truncation at every byte offset of real messages: no throw, a prefix of the spans, an error', () => {
    const messages = [
      THRIFT_CASES['client and server of one RPC']?.bytes as Uint8Array,
      Buffer.from(golden['v2:messaging.json']?.thrift as string, 'hex'),
    ];
    for (const full of messages) {
      const all = decodeThriftList(full);
      assert.deepEqual(all.errors, []);
      for (let cut = 0; cut < full.length; cut++) {
        const r = decodeThriftList(full.subarray(0, cut));
        assert.ok(r.errors.length >= 1, `cut ${cut}`);
        assert.ok(r.spans.length < all.spans.length || r.errors.length > 0);
        assert.deepEqual(plain(r.spans), plain(all.spans.slice(0, r.spans.length)), `cut ${cut}`);
        for (const e of r.errors) assert.ok(e.offset >= 0 && e.offset <= cut, `cut ${cut} offset ${e.offset}`);
      }
    }
    const one = THRIFT_CASES['legacy single span (server)']?.bytes as Uint8Array;
    for (let cut = 0; cut < one.length; cut++) {
      const r = decodeThriftSpan(one.subarray(0, cut));
      assert.equal(r.spans.length, 0);
      assert.equal(r.errors.length, 1, `cut ${cut}`);
    }
  });

  it('a list count of 2^31 - 1 with one span: the span, then a truncation error, at once', { timeout: HANG_GUARD_MS }, () => {
    const bytes = thriftList([OK_SPAN]);
    new DataView(bytes.buffer).setInt32(1, 0x7fffffff);
    const r = decodeThriftList(bytes);
    assert.equal(r.spans.length, 1);
    assert.deepEqual(codes(r), [[1, 'truncated']]);
    assert.equal(r.errors[0]?.offset, bytes.length);
  });

  it('a negative list count (0x80000000) is malformed', () => {
    const bytes = thriftList([OK_SPAN]);
    new DataView(bytes.buffer).setInt32(1, -0x80000000);
    assert.deepEqual(codes(decodeThriftList(bytes)), [[-1, 'malformed']]);
  });

  it('lengths and counts beyond the buffer are refused before reading or allocating', () => {
    // A good span, then the start of a second one whose next field is hostile.
    const head = (): TB => {
      const t = new TB().listHeader(TT.STRUCT, 2);
      writeSpan(t, OK_SPAN);
      return t.field(TT.I64, 1).i64(1).field(TT.I64, 4).i64(2);
    };
    const cases: [string, TB, string][] = [
      ['string of 2^31 - 1 bytes', head().field(TT.STRING, 3).i32(0x7fffffff), 'truncated'],
      ['negative string length', head().field(TT.STRING, 3).i32(-1), 'malformed'],
      ['map of 2^31 - 1 entries', head().field(TT.MAP, 99).byte(TT.I32).byte(TT.I32).i32(0x7fffffff), 'truncated'],
      ['list of 2^31 - 1 annotations', head().field(TT.LIST, 6).listHeader(TT.STRUCT, 0x7fffffff), 'truncated'],
      ['set with negative size', head().field(TT.SET, 99).listHeader(TT.I32, -5), 'malformed'],
      ['unknown field TType 1 (VOID)', head().field(1, 99), 'malformed'],
      ['unknown field TType 16', head().field(16, 99), 'malformed'],
      ['list of unknown element TType', head().field(TT.LIST, 99).listHeader(5, 1).byte(0), 'malformed'],
    ];
    for (const [what, t, code] of cases) {
      const r = decodeThriftList(t.bytes());
      assert.deepEqual(codes(r), [[1, code]], what);
      assert.equal(r.spans.length, 1, what);
    }
  });

  it(`unknown structs nested deeper than ${MAX_DEPTH} stop the message at that span`, () => {
    for (const depth of [MAX_DEPTH + 1, 100_000]) {
      const t = new TB().listHeader(TT.STRUCT, 3);
      writeSpan(t, OK_SPAN);
      t.field(TT.I64, 1).i64(1).field(TT.I64, 4).i64(2);
      for (let i = 0; i < depth; i++) t.field(TT.STRUCT, 99);
      for (let i = 0; i <= depth; i++) t.stop();
      writeSpan(t, OK_SPAN);
      const r = decodeThriftList(t.bytes());
      assert.deepEqual(codes(r), [[1, 'too_deep']]);
      assert.equal(r.spans.length, 1);
    }
    // Just within the limit is fine.
    const t = new TB().listHeader(TT.STRUCT, 1).field(TT.I64, 1).i64(1).field(TT.I64, 4).i64(2);
    for (let i = 0; i < MAX_DEPTH - 1; i++) t.field(TT.STRUCT, 99);
    for (let i = 0; i < MAX_DEPTH; i++) t.stop();
    assert.deepEqual(decodeThriftList(t.bytes()).errors, []);
    // Nested lists count too.
    const l = new TB().listHeader(TT.STRUCT, 1).field(TT.I64, 1).i64(1).field(TT.I64, 4).i64(2).field(TT.LIST, 99);
    for (let i = 0; i < 1000; i++) l.listHeader(TT.LIST, 1);
    l.listHeader(TT.I32, 0).stop();
    assert.deepEqual(codes(decodeThriftList(l.bytes())), [[0, 'too_deep']]);
  });

  it('a hundred thousand bad spans give a bounded error list', () => {
    const t = new TB().listHeader(TT.STRUCT, 100_001);
    for (let i = 0; i < 100_000; i++) t.field(TT.I64, 1).i64(1).stop(); // no id
    writeSpan(t, OK_SPAN);
    const r = decodeThriftList(t.bytes());
    assert.equal(r.spans.length, 1);
    assert.equal(r.errors.length, 101);
    assert.match(r.errors[100]?.reason ?? '', /99899 more span errors not listed/);
  });

  it('a 10 MB string decodes intact', () => {
    const big = 'y'.repeat(10 * 1024 * 1024);
    const r = decodeThriftList(thriftList([{ ...OK_SPAN, binaryAnnotations: [{ key: 'big', value: big, type: 6, host: FE }] }]));
    assert.deepEqual(r.errors, []);
    assert.equal(r.spans[0]?.tags?.big?.length, big.length);
  });

  it('random bytes after a valid header never throw', () => {
    let seed = 42;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed & 0xff;
    };
    for (let n = 0; n < 2000; n++) {
      const len = 5 + (rand() % 120);
      const bytes = new Uint8Array(len);
      for (let i = 0; i < len; i++) bytes[i] = rand();
      bytes[0] = TT.STRUCT;
      const r = decodeThriftList(bytes);
      assert.ok(Array.isArray(r.spans) && Array.isArray(r.errors));
      decodeThriftSpan(bytes.subarray(1));
    }
  });

  it('message-level errors: empty, too large, not a list, short header', () => {
    assert.deepEqual(codes(decodeThriftList(new Uint8Array(0))), [[-1, 'empty']]);
    assert.deepEqual(codes(decodeThriftList(thriftList([OK_SPAN]), { maxBytes: 10 })), [[-1, 'too_large']]);
    assert.deepEqual(codes(decodeThriftList(Uint8Array.from([10, 0, 1]))), [[-1, 'not_a_list']]);
    assert.deepEqual(codes(decodeThriftList(Uint8Array.from([12, 0, 0]))), [[-1, 'truncated']]);
    assert.deepEqual(decodeThriftList(Uint8Array.from([12, 0, 0, 0, 0])), { encoding: 'thrift', spans: [], errors: [] });
    assert.deepEqual(codes(decodeThriftSpan(new Uint8Array(0))), [[-1, 'empty']]);
  });
});
