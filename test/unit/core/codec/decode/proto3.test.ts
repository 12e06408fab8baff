import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeJsonV2 } from '../../../../../core/codec/decode/json-v2.js';
import { decodeProto3 } from '../../../../../core/codec/decode/proto3.js';
import { encodeProto3 } from '../../../../../core/codec/encode/proto3.js';
import type { DecodeResult, Span } from '../../../../../core/model/span.js';
import { present } from '../../../../helpers/spans.js';
import { loadTrace, loadTraces } from '../codec-fixtures.js';

/** A hang guard for the hostile-input cases, not a speed claim (speed is the benchmark's job). */
const HANG_GUARD_MS = 60_000;

// A tiny protobuf writer for building test messages by hand (independent of the encoder).
type Bytes = number[];
function varint(v: number | bigint): Bytes {
  let x = BigInt.asUintN(64, BigInt(v));
  const out: Bytes = [];
  while (x >= 0x80n) {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  out.push(Number(x));
  return out;
}
const key = (field: number, wire: number): Bytes => varint((field << 3) | wire);
const ld = (field: number, body: Bytes | Uint8Array): Bytes => [...key(field, 2), ...varint(body.length), ...body];
const str = (field: number, s: string): Bytes => ld(field, [...Buffer.from(s, 'utf8')]);
const vint = (field: number, v: number | bigint): Bytes => [...key(field, 0), ...varint(v)];
function fixed64(field: number, v: number | bigint): Bytes {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(v)));
  return [...key(field, 1), ...b];
}
const hexBytes = (hex: string): Bytes => [...Buffer.from(hex, 'hex')];
const id = (field: number, hex: string): Bytes => ld(field, hexBytes(hex));
const msg = (...parts: Bytes[]): Bytes => parts.flat();
const list = (...spans: Bytes[]): Uint8Array => new Uint8Array(spans.flatMap((s) => ld(1, s)));

const T = '463ac35c9f6413ad';
const ID = 'a2fb4a1d1a96d312';
const ids = msg(id(1, T), id(3, ID));

function one(span: Bytes): Span {
  const r = decodeProto3(list(span));
  assert.deepEqual(r.errors, [], JSON.stringify(r.errors));
  assert.equal(r.spans.length, 1);
  return r.spans[0] as Span;
}

function onlyError(r: DecodeResult) {
  assert.equal(r.errors.length, 1, JSON.stringify(r.errors));
  return r.errors[0] as DecodeResult['errors'][number];
}

describe('decodeProto3: round trip of every shared trace', () => {
  for (const trace of loadTraces()) {
    it(trace.name, () => {
      const spans = decodeJsonV2(trace.bytes).spans;
      const r = decodeProto3(encodeProto3(spans));
      assert.equal(r.encoding, 'proto3');
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.spans, spans);
    });
  }
});

describe('decodeProto3: fields', () => {
  it('decodes every field of a hand-built span', () => {
    const s = one(
      msg(
        id(1, `${T}${T}`),
        id(2, '0000000000000003'),
        id(3, ID),
        vint(4, 4),
        str(5, 'Send'),
        fixed64(6, 1472470996199000),
        vint(7, 207000),
        ld(8, msg(str(1, 'Frontend'), ld(2, [127, 0, 0, 1]), vint(4, 8080))),
        ld(9, msg(ld(3, hexBytes('20010db8000000000000000000 00c001'.replace(' ', ''))))),
        ld(10, msg(fixed64(1, 1472470996238000), str(2, 'foo'))),
        ld(11, msg(str(1, 'http.path'), str(2, '/api'))),
        vint(12, 1),
        vint(13, 1),
      ),
    );
    assert.deepEqual(present(s), {
      traceId: `${T}${T}`,
      parentId: '0000000000000003',
      id: ID,
      kind: 'CONSUMER',
      name: 'send',
      timestamp: 1472470996199000,
      duration: 207000,
      localEndpoint: { serviceName: 'frontend', ipv4: '127.0.0.1', port: 8080 },
      remoteEndpoint: { ipv6: '2001:db8::c001' },
      annotations: [{ timestamp: 1472470996238000, value: 'foo' }],
      tags: { 'http.path': '/api' },
      debug: true,
      shared: true,
    });
  });

  it('kind: 0 is absent, out-of-range values are ignored (as Zipkin)', () => {
    assert.equal(one(msg(ids, vint(4, 0))).kind, undefined);
    assert.equal(one(msg(ids, vint(4, 5))).kind, undefined);
    assert.equal(one(msg(ids, vint(4, 2 ** 40))).kind, undefined);
    assert.equal(one(msg(ids, vint(4, 1))).kind, 'CLIENT');
  });

  it('bool fields: any non-zero varint is true, zero is absent', () => {
    assert.equal(one(msg(ids, vint(12, 2))).debug, true);
    assert.equal(one(msg(ids, vint(12, 0))).debug, undefined);
  });

  it('the last occurrence of a singular field wins', () => {
    assert.equal(one(msg(ids, str(5, 'a'), str(5, 'b'))).name, 'b');
  });

  it('IP bytes as Zipkin reads them: 4 → dotted, 16 → compressed text, compatible (not mapped) IPv6 → IPv4, other lengths ignored', () => {
    const ep = (body: Bytes) => present(one(msg(ids, ld(8, msg(str(1, 's'), body)))).localEndpoint);
    assert.deepEqual(ep(ld(2, [10, 0, 0, 255])), { serviceName: 's', ipv4: '10.0.0.255' });
    assert.deepEqual(ep(ld(3, hexBytes('fe800000000000000000000000000001'))), { serviceName: 's', ipv6: 'fe80::1' });
    // Zipkin's parseEmbeddedIPv4 requires a zero flag: IPv4-mapped bytes stay IPv6, and :: is 0.0.0.0.
    assert.deepEqual(ep(ld(3, hexBytes('00000000000000000000ffff0a000001'))), { serviceName: 's', ipv6: '::ffff:a00:1' });
    assert.deepEqual(ep(ld(3, hexBytes('00000000000000000000000000000000'))), { serviceName: 's', ipv4: '0.0.0.0' });
    assert.deepEqual(ep(ld(3, hexBytes('20010000000000040000000000000000'))), { serviceName: 's', ipv6: '2001::4:0:0:0:0' }); // Zipkin's writeIpV6 only takes a trailing run when no earlier run exists
    assert.deepEqual(ep(ld(3, hexBytes('20010db8000000010001000100010001'))), { serviceName: 's', ipv6: '2001:db8::1:1:1:1:1' });
    assert.deepEqual(ep(ld(3, hexBytes('0000000000000000000000000a000001'))), { serviceName: 's', ipv4: '10.0.0.1' });
    assert.deepEqual(ep(ld(3, hexBytes('00000000000000000000000000000001'))), { serviceName: 's', ipv6: '::1' });
    assert.deepEqual(ep(ld(2, hexBytes('fe800000000000000000000000000002'))), { serviceName: 's', ipv6: 'fe80::2' });
    assert.deepEqual(ep(ld(2, [1, 2, 3])), { serviceName: 's' });
  });

  it('ports: 0, negative (10-byte int32) and > 65535 are dropped', () => {
    const port = (v: number) => one(msg(ids, ld(8, msg(str(1, 's'), vint(4, v))))).localEndpoint?.port;
    assert.equal(port(65535), 65535);
    assert.equal(port(0), undefined);
    assert.equal(port(-1), undefined);
    assert.equal(port(70000), undefined);
  });

  it('an endpoint without usable fields is absent', () => {
    assert.equal(one(msg(ids, ld(8, []))).localEndpoint, undefined);
    assert.equal(one(msg(ids, ld(9, msg(str(1, ''))))).remoteEndpoint, undefined);
  });

  it('tag entries: key required (else dropped), value defaults to "", later duplicates win', () => {
    const s = one(
      msg(
        ids,
        ld(11, msg(str(2, 'orphan'))),
        ld(11, msg(str(1, 'error'))),
        ld(11, msg(str(1, 'k'), str(2, '1'))),
        ld(11, msg(str(1, 'k'), str(2, '2'))),
        ld(11, []),
      ),
    );
    assert.deepEqual(s.tags, { error: '', k: '2' });
  });

  it('annotations: without a value dropped; timestamp defaults to 0; empty submessage dropped', () => {
    const s = one(msg(ids, ld(10, msg(fixed64(1, 5))), ld(10, msg(str(2, 'no-ts'))), ld(10, [])));
    assert.deepEqual(s.annotations, [{ timestamp: 0, value: 'no-ts' }]);
  });

  it('a "__proto__" tag key is kept as an ordinary own tag', () => {
    const s = one(msg(ids, ld(11, msg(str(1, '__proto__'), str(2, 'p'))), ld(11, msg(str(1, 'a'), str(2, 'b')))));
    assert.deepEqual(Object.keys(s.tags ?? {}), ['__proto__', 'a']);
    assert.equal(Object.getPrototypeOf(s.tags), Object.prototype);
  });

  it('invalid UTF-8 in strings becomes U+FFFD (as Java new String(bytes, UTF_8))', () => {
    assert.equal(one(msg(ids, ld(5, [0x61, 0xff, 0x62]))).name, 'a\ufffdb');
    assert.equal(one(msg(ids, ld(5, [...Buffer.from('é'.repeat(20)), 0xc3]))).name, `${'é'.repeat(20)}\ufffd`);
  });

  it('short strings decoded through the cache are correct for look-alike byte strings', () => {
    const names = ['ab', 'ba', 'abc', 'abd', 'é', 'e\u0301', 'x'.repeat(32), 'x'.repeat(33), '\u0000'];
    for (let round = 0; round < 3; round++) {
      for (const name of names)
        assert.equal(one(msg(ids, str(9, ''), ld(8, msg(str(1, name))))).localEndpoint?.serviceName, name.toLowerCase());
    }
  });
});

describe('decodeProto3: normalisation rules', () => {
  it('pads short IDs (bytes fewer than 8) and keeps 8/16-byte IDs', () => {
    const s = one(msg(id(1, '01'), id(2, '0abc'), id(3, '0f')));
    assert.equal(s.traceId, '0000000000000001');
    assert.equal(s.parentId, '0000000000000abc');
    assert.equal(s.id, '000000000000000f');
  });

  it('shortens a 16-byte trace ID whose high half is zero', () => {
    assert.equal(one(msg(id(1, `0000000000000000${T}`), id(3, ID))).traceId, T);
  });

  it('drops parent_id equal to id, all-zero or empty', () => {
    assert.equal(one(msg(ids, id(2, ID))).parentId, undefined);
    assert.equal(one(msg(ids, id(2, '0000000000000000'))).parentId, undefined);
    assert.equal(one(msg(ids, ld(2, []))).parentId, undefined);
  });

  it('lower-cases names; empty strings become absent', () => {
    const s = one(msg(ids, str(5, 'GET /Api'), ld(8, msg(str(1, 'FrontEnd'))), ld(9, msg(str(1, '')))));
    assert.equal(s.name, 'get /api');
    assert.deepEqual(present(s.localEndpoint), { serviceName: 'frontend' });
    assert.equal(s.remoteEndpoint, undefined);
    assert.equal(one(msg(ids, str(5, ''))).name, undefined);
  });

  it('sorts and deduplicates annotations; sorts tags', () => {
    const a = (ts: number, v: string) => ld(10, msg(fixed64(1, ts), str(2, v)));
    const t = (k: string, v: string) => ld(11, msg(str(1, k), str(2, v)));
    const s = one(msg(ids, a(3, 'b'), a(1, 'z'), a(3, 'a'), a(1, 'z'), t('z', '1'), t('a', '2')));
    assert.deepEqual(s.annotations, [
      { timestamp: 1, value: 'z' },
      { timestamp: 3, value: 'a' },
      { timestamp: 3, value: 'b' },
    ]);
    assert.deepEqual(Object.keys(s.tags ?? {}), ['a', 'z']);
  });

  it('clears shared on CLIENT spans', () => {
    assert.equal(one(msg(ids, vint(4, 1), vint(13, 1))).shared, undefined);
    assert.equal(one(msg(ids, vint(4, 2), vint(13, 1))).shared, true);
  });

  it("drops negative timestamps (two's complement fixed64) and durations (10-byte varint)", () => {
    const s = one(msg(ids, fixed64(6, -1), vint(7, -5)));
    assert.equal(s.timestamp, undefined);
    assert.equal(s.duration, undefined);
    assert.equal(one(msg(ids, fixed64(6, -(2n ** 63n)))).timestamp, undefined);
  });

  it('reads fixed64 exactly up to 2^53 - 1', () => {
    const max = Number.MAX_SAFE_INTEGER;
    const s = one(msg(ids, fixed64(6, max), vint(7, max), ld(10, msg(fixed64(1, -max), str(2, 'neg')))));
    assert.equal(s.timestamp, max);
    assert.equal(s.duration, max);
    assert.deepEqual(s.annotations, [{ timestamp: -max, value: 'neg' }]);
  });
});

describe('decodeProto3: unknown fields', () => {
  const unknowns = msg(vint(14, 7), fixed64(15, 1), ld(16, [1, 2, 3]), [...key(17, 5), 1, 2, 3, 4], vint(2000, 1));
  it('are skipped by wire type (0, 1, 2, 5) in the list, span, endpoint, annotation and tag entry', () => {
    const s = one(
      msg(
        unknowns,
        ids,
        unknowns,
        ld(8, msg(unknowns, str(1, 'svc'), unknowns)),
        ld(10, msg(unknowns, fixed64(1, 1), unknowns, str(2, 'v'))),
        ld(11, msg(unknowns, str(1, 'k'), unknowns, str(2, 'v'))),
      ),
    );
    assert.deepEqual(present(s), {
      traceId: T,
      id: ID,
      localEndpoint: { serviceName: 'svc' },
      annotations: [{ timestamp: 1, value: 'v' }],
      tags: { k: 'v' },
    });
    const r = decodeProto3(new Uint8Array([...unknowns, ...list(ids), ...unknowns]));
    assert.deepEqual(r.errors, []);
    assert.equal(r.spans.length, 1);
  });

  it('a known field number with another wire type is skipped like an unknown field (as Zipkin)', () => {
    const s = one(msg(ids, vint(5, 3), fixed64(7, 9), ld(4, [1])));
    assert.deepEqual(present(s), { traceId: T, id: ID });
  });
});

describe('decodeProto3: salvage', () => {
  const good = (n: string) => msg(ids, str(5, n));
  const cases: [string, Bytes, string, RegExp][] = [
    ['an endpoint length beyond the span', msg(ids, [...key(8, 2), 50, 1, 2]), 'truncated', /length 50 exceeds/],
    ['a group wire type', msg(ids, [...key(14, 3)]), 'malformed', /wire type 3/],
    ['an end-group wire type', msg(ids, [...key(14, 4)]), 'malformed', /wire type 4/],
    ['wire type 7', msg(ids, [...key(14, 7)]), 'malformed', /wire type 7/],
    ['field number 0', msg(ids, [0x02, 0x00]), 'malformed', /field number 0/],
    ['a varint longer than 10 bytes', msg(ids, [...key(7, 0), ...new Array(11).fill(0xff), 0x01]), 'malformed', /longer than 10 bytes/],
    ['a varint cut by the span end', msg(ids, [...key(7, 0), 0xff]), 'truncated', /varint runs past/],
    ['a fixed64 cut by the span end', msg(ids, [...key(6, 1), 1, 2, 3]), 'truncated', /fixed64/],
    ['a skipped fixed32 cut by the span end', msg(ids, [...key(14, 5), 1]), 'truncated', /fixed32/],
    ['a timestamp beyond 2^53', msg(ids, fixed64(6, 2 ** 53 + 2)), 'invalid_field', /timestamp is beyond 2\^53/],
    ['a duration beyond 2^53', msg(ids, vint(7, 2 ** 60)), 'invalid_field', /duration is beyond 2\^53/],
    [
      'an annotation timestamp beyond 2^53',
      msg(ids, ld(10, msg(fixed64(1, 2n ** 62n), str(2, 'x')))),
      'invalid_field',
      /annotation timestamp/,
    ],
    ['a 20-byte trace_id', msg(id(1, `${T}${T}00112233`), id(3, ID)), 'invalid_id', /trace_id is 20 bytes/],
    ['a 9-byte id', msg(id(1, T), id(3, `${ID}00`)), 'invalid_id', /id is 9 bytes/],
    ['an all-zero id', msg(id(1, T), id(3, '0000000000000000')), 'invalid_id', /all zeros/],
    ['no id', msg(id(1, T)), 'missing_field', /id is missing/],
    ['no trace_id', msg(id(3, ID)), 'missing_field', /traceId is missing/],
    ['an empty span', [], 'missing_field', /traceId is missing/],
  ];
  for (const [name, bad, code, reason] of cases) {
    it(name, () => {
      const bytes = list(good('one'), bad, good('two'));
      const r = decodeProto3(bytes);
      assert.deepEqual(
        r.spans.map((s) => s.name),
        ['one', 'two'],
      );
      const e = onlyError(r);
      assert.deepEqual([e.encoding, e.index, e.code], ['proto3', 1, code]);
      assert.match(e.reason, reason);
      const start = ld(1, good('one')).length;
      assert.ok(e.offset >= start && e.offset < start + ld(1, bad).length, `offset ${e.offset} inside span 1`);
    });
  }

  it('a broken outer length stops decoding there, keeping the spans before', () => {
    const head = list(good('one'), good('two'));
    const bytes = new Uint8Array([...head, ...key(1, 2), ...varint(1000), ...good('three')]);
    const r = decodeProto3(bytes);
    assert.deepEqual(
      r.spans.map((s) => s.name),
      ['one', 'two'],
    );
    const e = onlyError(r);
    assert.deepEqual([e.index, e.code, e.offset], [2, 'truncated', head.length + 1]);
  });

  it('a broken outer tag stops decoding there', () => {
    const head = list(good('one'));
    for (const tail of [[0x0b] /* group */, [0xff, 0xff] /* cut varint */, [0x09, 1, 2] /* cut fixed64 */, [0x00, 0x00] /* field 0 */]) {
      const r = decodeProto3(new Uint8Array([...head, ...tail, ...list(good('lost'))]));
      assert.equal(r.spans.length, 1, String(tail));
      const e = onlyError(r);
      assert.equal(e.index, 1);
      assert.ok(e.offset >= head.length, String(tail));
    }
  });

  it('caps the error list and counts the rest', () => {
    const bytes = new Uint8Array(new Array(200_000).fill([0x0a, 0x00]).flat()); // 200k empty spans
    const r = decodeProto3(new Uint8Array([...bytes, ...list(ids)]), { maxErrors: 5 });
    assert.equal(r.spans.length, 1);
    assert.equal(r.errors.length, 6);
    assert.match(r.errors[5]?.reason ?? '', /and 199994 more span errors not listed/);
  });
});

describe('decodeProto3: whole-message failures', () => {
  it('empty and too large', () => {
    assert.deepEqual(
      decodeProto3(new Uint8Array(0)).errors.map((e) => [e.index, e.code]),
      [[-1, 'empty']],
    );
    assert.deepEqual(
      decodeProto3(list(ids), { maxBytes: 4 }).errors.map((e) => [e.index, e.code]),
      [[-1, 'too_large']],
    );
  });
});

describe('decodeProto3: hostile input', () => {
  it('truncated at every byte offset of a real message: a prefix of the spans, one error, bounded time', { timeout: HANG_GUARD_MS }, () => {
    const full = decodeJsonV2(loadTrace('messaging-kafka.json').bytes).spans;
    const bytes = encodeProto3(full);
    // Span boundaries, to know how many complete spans each prefix holds.
    const ends: number[] = [];
    for (let p = 0; p < bytes.length; ) {
      let len = 0;
      let shift = 0;
      let q = p + 1;
      for (;;) {
        const b = bytes[q++] as number;
        len += (b & 0x7f) * 2 ** shift;
        shift += 7;
        if (b < 0x80) break;
      }
      p = q + len;
      ends.push(p);
    }
    for (let cut = 1; cut < bytes.length; cut++) {
      const r = decodeProto3(bytes.subarray(0, cut));
      const complete = ends.filter((e) => e <= cut).length;
      assert.deepEqual(r.spans, full.slice(0, complete));
      if (ends.includes(cut)) assert.deepEqual(r.errors, []);
      else {
        const e = onlyError(r);
        assert.deepEqual([e.index, e.code], [complete, 'truncated']);
      }
    }
  });

  it('varint overflow and length overflow', () => {
    assert.equal(onlyError(decodeProto3(new Uint8Array(new Array(11).fill(0xff)))).code, 'malformed');
    assert.equal(onlyError(decodeProto3(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2]))).code, 'truncated');
    assert.equal(onlyError(decodeProto3(new Uint8Array([0x0a, ...varint(2n ** 64n - 1n)]))).code, 'truncated');
    assert.equal(onlyError(decodeProto3(list(msg(ids, [...key(5, 2), ...varint(2n ** 63n)])))).code, 'truncated');
  });

  it('a 10 MB string', { timeout: HANG_GUARD_MS }, () => {
    const big = Buffer.alloc(10 * 1024 * 1024, 'q');
    const entry = Buffer.concat([Buffer.from([0x0a, 3]), Buffer.from('big'), Buffer.from([0x12, ...varint(big.length)]), big]);
    const span = Buffer.concat([Buffer.from(ids), Buffer.from([0x5a, ...varint(entry.length)]), entry]);
    const bytes = Buffer.concat([Buffer.from([0x0a, ...varint(span.length)]), span]);
    const r = decodeProto3(bytes);
    assert.deepEqual(r.errors, []);
    assert.equal(r.spans[0]?.tags?.big, big.toString('latin1'));
  });

  it('huge repeated counts: a million empty annotations and tag entries', { timeout: HANG_GUARD_MS }, () => {
    const many = new Array(1_000_000).fill([0x52, 0x00, 0x5a, 0x00]).flat();
    const s = one(msg(ids, many));
    assert.equal(s.annotations, undefined);
    assert.equal(s.tags, undefined);
    const manyTags = [];
    for (let i = 0; i < 100_000; i++) manyTags.push(...ld(11, msg(str(1, `k${i}`))));
    assert.equal(Object.keys(one(msg(ids, manyTags)).tags ?? {}).length, 100_000);
  });

  it('random garbage and mutated real messages never throw', () => {
    const real = encodeProto3(decodeJsonV2(loadTrace('messaging-kafka.json').bytes).spans);
    let seed = 11;
    const rnd = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    for (let i = 0; i < 2000; i++) {
      const bytes = new Uint8Array(real);
      for (let k = 0; k < 1 + Math.floor(rnd() * 6); k++) bytes[Math.floor(rnd() * bytes.length)] = Math.floor(rnd() * 256);
      const r = decodeProto3(bytes);
      assert.ok(r.spans.length + r.errors.length > 0);
      decodeProto3(new Uint8Array(Math.floor(rnd() * 96)).map(() => Math.floor(rnd() * 256)));
    }
  });
});
