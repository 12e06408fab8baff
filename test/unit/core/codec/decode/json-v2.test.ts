import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeJsonV2 } from '../../../../../core/codec/decode/json-v2.js';
import type { DecodeResult, Span } from '../../../../../core/model/span.js';
import { present } from '../../../../helpers/spans.js';
import { loadTrace, loadTraces } from '../codec-fixtures.js';

/** A hang guard for the hostile-input cases, not a speed claim (speed is the benchmark's job). */
const HANG_GUARD_MS = 60_000;

const enc = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
const decode = (json: string, options?: Parameters<typeof decodeJsonV2>[1]) => decodeJsonV2(enc(json), options);
const list = (...spans: unknown[]) => JSON.stringify(spans);

const T = '463ac35c9f6413ad';
const ID = 'a2fb4a1d1a96d312';
const base = { traceId: T, id: ID };

/** Decodes one span object and expects it to come back without error. */
function one(span: Record<string, unknown>): Span {
  const r = decode(list(span));
  assert.deepEqual(r.errors, [], JSON.stringify(r.errors));
  assert.equal(r.spans.length, 1);
  return r.spans[0] as Span;
}

function onlyError(r: DecodeResult) {
  assert.equal(r.errors.length, 1, JSON.stringify(r.errors));
  return r.errors[0] as DecodeResult['errors'][number];
}

describe('decodeJsonV2: shared traces', () => {
  for (const trace of loadTraces()) {
    it(`${trace.name}: every span, no error`, () => {
      const r = decodeJsonV2(trace.bytes);
      assert.equal(r.encoding, 'json-v2');
      assert.deepEqual(r.errors, []);
      assert.equal(r.spans.length, trace.count);
    });
  }

  it('zipkin2-client.json decodes to the expected span', () => {
    const r = decodeJsonV2(loadTrace('zipkin2-client.json').bytes);
    assert.deepEqual(present(r.spans), [
      {
        traceId: '4d1e00c0db9010db86154a4ba6e91385',
        parentId: '86154a4ba6e91385',
        id: '4d1e00c0db9010db',
        kind: 'CLIENT',
        name: 'get',
        timestamp: 1472470996199000,
        duration: 207000,
        localEndpoint: { serviceName: 'frontend', ipv6: '2001:db8::c001' },
        remoteEndpoint: { serviceName: 'backend', ipv4: '192.168.99.101', port: 9000 },
        annotations: [
          { timestamp: 1472470996238000, value: 'foo' },
          { timestamp: 1472470996403000, value: 'bar' },
        ],
        tags: { 'clnt/finagle.version': '6.45.0', 'http.path': '/api' },
      },
    ]);
    assert.deepEqual(Object.keys(r.spans[0]?.tags ?? {}), ['clnt/finagle.version', 'http.path']);
  });

  it('zipkin2-chinese.json keeps non-ASCII names and values', () => {
    const span = decodeJsonV2(loadTrace('zipkin2-chinese.json').bytes).spans[0];
    assert.equal(span?.name, '个人信息查询');
    assert.equal(span?.localEndpoint?.serviceName, '订单维护服务');
    assert.equal(span?.tags?.error, '此用户没有操作权限');
  });
});

describe('decodeJsonV2: normalisation rules', () => {
  it('pads short IDs to 16 hex digits and lower-cases upper-case hex', () => {
    const s = one({ traceId: '1', parentId: 'ABC', id: 'F' });
    assert.equal(s.traceId, '0000000000000001');
    assert.equal(s.parentId, '0000000000000abc');
    assert.equal(s.id, '000000000000000f');
  });

  it('pads 17-31 digit trace IDs to 32, shortens a 128-bit ID with a zero high half to 16', () => {
    assert.equal(one({ ...base, traceId: `1${T}` }).traceId, `${'0'.repeat(15)}1${T}`);
    assert.equal(one({ ...base, traceId: `0000000000000000${T}` }).traceId, T);
    assert.equal(one({ ...base, traceId: `${T}${T}` }).traceId, `${T}${T}`);
  });

  it('drops parentId equal to id, all-zero or empty', () => {
    assert.equal(one({ ...base, parentId: ID }).parentId, undefined);
    assert.equal(one({ ...base, parentId: '0000000000000000' }).parentId, undefined);
    assert.equal(one({ ...base, parentId: '' }).parentId, undefined);
    assert.deepEqual(Object.keys(present(one({ ...base, parentId: T }))), ['traceId', 'parentId', 'id']);
  });

  it('lower-cases span and service names; empty strings become absent', () => {
    const s = one({ ...base, name: 'GET /Api', localEndpoint: { serviceName: 'FrontEnd' }, remoteEndpoint: { serviceName: '' } });
    assert.equal(s.name, 'get /api');
    assert.deepEqual(present(s.localEndpoint), { serviceName: 'frontend' });
    assert.equal(s.remoteEndpoint, undefined);
    assert.equal(one({ ...base, name: '' }).name, undefined);
  });

  it('sorts and deduplicates annotations by (timestamp, value)', () => {
    const s = one({
      ...base,
      annotations: [
        { timestamp: 3, value: 'b' },
        { timestamp: 1, value: 'z' },
        { timestamp: 3, value: 'a' },
        { timestamp: 1, value: 'z' },
      ],
    });
    assert.deepEqual(s.annotations, [
      { timestamp: 1, value: 'z' },
      { timestamp: 3, value: 'a' },
      { timestamp: 3, value: 'b' },
    ]);
  });

  it('sorts tags by key', () => {
    const s = one({ ...base, tags: { z: '1', a: '2', 'http.path': '3' } });
    assert.deepEqual(Object.keys(s.tags ?? {}), ['a', 'http.path', 'z']);
  });

  it('clears shared on CLIENT spans only', () => {
    assert.equal(one({ ...base, kind: 'CLIENT', shared: true }).shared, undefined);
    assert.equal(one({ ...base, kind: 'SERVER', shared: true }).shared, true);
  });

  it('drops zero and negative timestamps and durations', () => {
    const s = one({ ...base, timestamp: -5, duration: 0 });
    assert.equal(s.timestamp, undefined);
    assert.equal(s.duration, undefined);
    assert.equal(one({ ...base, duration: -1 }).duration, undefined);
  });

  it('accepts kind in any case and drops an unknown kind', () => {
    assert.equal(one({ ...base, kind: 'server' }).kind, 'SERVER');
    assert.equal(one({ ...base, kind: 'Producer' }).kind, 'PRODUCER');
    assert.equal(one({ ...base, kind: 'INTERNAL' }).kind, undefined);
  });

  it('treats null as absent and ignores unknown fields', () => {
    const s = one({
      ...base,
      parentId: null,
      kind: null,
      name: null,
      timestamp: null,
      localEndpoint: null,
      remoteEndpoint: { serviceName: null, ipv4: null, port: null },
      annotations: null,
      tags: null,
      debug: null,
      shared: null,
      binaryAnnotations: [{ key: 'x' }],
      extra: { nested: [1, 2, { deep: true }] },
    });
    assert.deepEqual(present(s), { traceId: T, id: ID });
  });

  it('normalises endpoints: IPv4-mapped IPv6, compressed IPv6, invalid IPs and ports dropped', () => {
    assert.deepEqual(present(one({ ...base, localEndpoint: { ipv6: '::ffff:10.0.0.1' } }).localEndpoint), { ipv4: '10.0.0.1' });
    assert.deepEqual(present(one({ ...base, localEndpoint: { ipv6: '2001:0DB8:0:0:0:0:0:C001' } }).localEndpoint), {
      ipv6: '2001:db8::c001',
    });
    assert.deepEqual(present(one({ ...base, localEndpoint: { serviceName: 'a', ipv4: '300.1.1.1', port: 0 } }).localEndpoint), {
      serviceName: 'a',
    });
    // Zipkin's detectFamily accepts words with leading zeros and keeps the text as given.
    assert.deepEqual(present(one({ ...base, localEndpoint: { ipv4: '10.0.0.04' } }).localEndpoint), { ipv4: '10.0.0.04' });
    assert.deepEqual(present(one({ ...base, localEndpoint: { ipv4: '010.000.000.255' } }).localEndpoint), { ipv4: '010.000.000.255' });
    assert.deepEqual(present(one({ ...base, localEndpoint: { ipv6: '::ffff:10.0.0.04' } }).localEndpoint), { ipv4: '10.0.0.04' });
    for (const bad of ['10.0.0.0004', '10.0.0.256', '10.0.0', '10.0.0.4.', '1.2.3.4.5', '10.0.0.a'])
      assert.equal(one({ ...base, localEndpoint: { ipv4: bad } }).localEndpoint, undefined, bad);
    assert.deepEqual(present(one({ ...base, localEndpoint: { serviceName: 'a', port: 70000 } }).localEndpoint), { serviceName: 'a' });
  });

  it('keeps debug only when true', () => {
    assert.equal(one({ ...base, debug: true }).debug, true);
    assert.equal(one({ ...base, debug: false }).debug, undefined);
  });
});

describe('decodeJsonV2: unambiguous repairs', () => {
  it('turns number and boolean tag and annotation values into strings, drops null tag values', () => {
    const s = one({ ...base, tags: { a: 200, b: true, c: null, d: 'x', e: 1.5 }, annotations: [{ timestamp: 1, value: 42 }] });
    assert.deepEqual(s.tags, { a: '200', b: 'true', d: 'x', e: '1.5' });
    assert.deepEqual(s.annotations, [{ timestamp: 1, value: '42' }]);
  });

  it('reads integer timestamps, durations and ports given as decimal strings', () => {
    const s = one({
      ...base,
      timestamp: '1472470996199000',
      duration: '207000',
      localEndpoint: { serviceName: 'a', port: '8080' },
      annotations: [{ timestamp: '5', value: 'v' }],
    });
    assert.equal(s.timestamp, 1472470996199000);
    assert.equal(s.duration, 207000);
    assert.equal(s.localEndpoint?.port, 8080);
    assert.deepEqual(s.annotations, [{ timestamp: 5, value: 'v' }]);
  });

  it('truncates fractional microseconds', () => {
    assert.equal(one({ ...base, timestamp: 1.9, duration: 2.5 }).timestamp, 1);
  });

  it('keeps a "__proto__" tag as an ordinary own tag', () => {
    const s = one({ ...base });
    assert.ok(s);
    const r = decode(`[{"traceId":"${T}","id":"${ID}","tags":{"z":"1","__proto__":"p","a":"2"}}]`);
    const tags = r.spans[0]?.tags ?? {};
    assert.deepEqual(Object.keys(tags), ['__proto__', 'a', 'z']);
    assert.equal(Object.getOwnPropertyDescriptor(tags, '__proto__')?.value, 'p');
    assert.equal(Object.getPrototypeOf(tags), Object.prototype);
    // also when a repair forces a copy
    const r2 = decode(`[{"traceId":"${T}","id":"${ID}","tags":{"__proto__":"p","n":1}}]`);
    assert.equal(Object.getOwnPropertyDescriptor(r2.spans[0]?.tags, '__proto__')?.value, 'p');
  });

  it('tolerates a UTF-8 byte order mark and surrounding whitespace', () => {
    const r = decodeJsonV2(new Uint8Array([0xef, 0xbb, 0xbf, ...enc(` \n${list(base)}\n`)]));
    assert.deepEqual(r.errors, []);
    assert.equal(r.spans.length, 1);
  });
});

describe('decodeJsonV2: salvage (one bad span among good ones)', () => {
  const good1 = { ...base, name: 'one' };
  const good2 = { ...base, id: 'b2fb4a1d1a96d312', name: 'two' };
  const cases: [string, unknown, string, RegExp][] = [
    ['id is a number', { ...base, id: 12345 }, 'invalid_field', /id must be a string, got a number/],
    ['traceId is an object', { ...base, traceId: { hi: 1 } }, 'invalid_field', /traceId must be a string/],
    ['tags is an array', { ...base, tags: ['a', 'b'] }, 'invalid_field', /tags must be an object, got an array/],
    ['a tag value is an object', { ...base, tags: { ok: 'x', bad: { v: 1 } } }, 'invalid_field', /tags\["bad"\] must be a string/],
    ['localEndpoint is a string', { ...base, localEndpoint: 'frontend' }, 'invalid_field', /localEndpoint must be an object/],
    ['port is not an integer', { ...base, remoteEndpoint: { port: 'http' } }, 'invalid_field', /remoteEndpoint\.port must be an integer/],
    ['annotations is an object', { ...base, annotations: { timestamp: 1 } }, 'invalid_field', /annotations must be an array/],
    [
      'an annotation has no value',
      { ...base, annotations: [{ timestamp: 1 }] },
      'invalid_field',
      /annotations\[0\] needs a timestamp and a string value/,
    ],
    ['an annotation is a string', { ...base, annotations: ['cs'] }, 'invalid_field', /annotations\[0\] must be an object/],
    ['timestamp is a boolean', { ...base, timestamp: true }, 'invalid_field', /timestamp must be an integer/],
    ['timestamp is beyond 2^53', { ...base, timestamp: 2 ** 60 }, 'invalid_field', /beyond 2\^53/],
    ['debug is a string', { ...base, debug: 'true' }, 'invalid_field', /debug must be a boolean/],
    ['kind is a number', { ...base, kind: 1 }, 'invalid_field', /kind must be a string/],
    ['the span is a number', 42, 'invalid_field', /span must be an object, got a number/],
    ['the span is null', null, 'invalid_field', /span must be an object, got null/],
    ['the span is an array', [base], 'invalid_field', /span must be an object, got an array/],
    ['traceId is missing', { id: ID }, 'missing_field', /traceId is missing/],
    ['id is missing', { traceId: T }, 'missing_field', /id is missing/],
    ['id is not hex', { ...base, id: 'xyz' }, 'invalid_id', /id "xyz" is not 1-16 hex digits/],
    ['id is all zeros', { ...base, id: '0000000000000000' }, 'invalid_id', /all zeros/],
    ['traceId is too long', { ...base, traceId: `${T}${T}0` }, 'invalid_id', /traceId/],
    ['parentId is not hex', { ...base, parentId: 'parent' }, 'invalid_id', /parentId/],
  ];
  for (const [name, bad, code, reason] of cases) {
    it(name, () => {
      const json = list(good1, bad, good2);
      const r = decode(json);
      assert.deepEqual(
        r.spans.map((s) => s.name),
        ['one', 'two'],
      );
      const e = onlyError(r);
      assert.equal(e.encoding, 'json-v2');
      assert.equal(e.index, 1);
      assert.equal(e.code, code);
      assert.match(e.reason, reason);
      // The offset points at the bad element in the message bytes.
      assert.equal(e.offset, Buffer.byteLength(json.slice(0, json.indexOf(JSON.stringify(bad), JSON.stringify(good1).length + 1))));
    });
  }

  it('reports byte offsets past multi-byte text, escapes and brackets inside strings', () => {
    const tricky = { ...base, name: '个人 "[{,}]" \\ 😂', tags: { '}': ']' } };
    const json = `[ ${JSON.stringify(tricky)} ,\n  ${JSON.stringify(tricky)},{"traceId":1},  42 , {"id":2}]`;
    const r = decode(json);
    assert.equal(r.spans.length, 2);
    const bytes = Buffer.from(json);
    assert.deepEqual(
      r.errors.map((e) => [e.index, String.fromCharCode(bytes[e.offset] ?? 0)]),
      [
        [2, '{'],
        [3, '4'],
        [4, '{'],
      ],
    );
  });

  it('caps the error list (maxErrors) and says how many more there were', () => {
    const json = `[${Array.from({ length: 5000 }, () => '{}').join(',')},${list(base).slice(1)}`;
    const r = decode(json, { maxErrors: 10 });
    assert.equal(r.spans.length, 1);
    assert.equal(r.errors.length, 11);
    assert.equal(r.errors[10]?.index, 10);
    assert.match(r.errors[10]?.reason ?? '', /and 4989 more span errors not listed/);
    assert.equal(decode(json).errors.length, 101); // default cap 100
  });
});

describe('decodeJsonV2: whole-message failures (index -1, never thrown)', () => {
  it('empty message', () => {
    const e = onlyError(decodeJsonV2(new Uint8Array(0)));
    assert.deepEqual([e.index, e.code], [-1, 'empty']);
  });

  it('not JSON', () => {
    const r = decode('[{"traceId": nope}]');
    const e = onlyError(r);
    assert.deepEqual([e.index, e.code, r.spans.length], [-1, 'malformed', 0]);
  });

  it('truncated JSON', () => {
    const e = onlyError(decode(list(base, base).slice(0, 30)));
    assert.deepEqual([e.index, e.code], [-1, 'truncated']);
  });

  it('not a list', () => {
    for (const json of [JSON.stringify(base), '"spans"', '42', 'null']) {
      const e = onlyError(decode(json));
      assert.deepEqual([e.index, e.code], [-1, 'not_a_list'], json);
    }
  });

  it('invalid UTF-8, with the offset of the first bad byte', () => {
    const valid = enc(list({ ...base, name: 'é' }));
    for (const bad of [
      [0xff],
      [0xc0, 0x80] /* overlong */,
      [0xed, 0xa0, 0x80] /* surrogate */,
      [0xf4, 0x90, 0x80, 0x80] /* > U+10FFFF */,
      [0xe2, 0x82] /* cut */,
    ]) {
      const at = valid.indexOf(0x22, 20); // inside the JSON, before the name
      const bytes = new Uint8Array([...valid.subarray(0, at), ...bad, ...valid.subarray(at)]);
      const e = onlyError(decodeJsonV2(bytes));
      assert.deepEqual([e.index, e.code, e.offset], [-1, 'invalid_utf8', at], String(bad));
    }
  });

  it('too large', () => {
    const e = onlyError(decode(list(base), { maxBytes: 10 }));
    assert.deepEqual([e.index, e.code], [-1, 'too_large']);
  });
});

describe('decodeJsonV2: hostile input', () => {
  it('truncated at every byte offset of a real message: no throw, bounded time', { timeout: HANG_GUARD_MS }, () => {
    const bytes = loadTrace('messaging.json').bytes;
    const end = bytes.lastIndexOf(0x5d); // the closing ], before any trailing whitespace
    for (let cut = 0; cut <= end; cut++) {
      const r = decodeJsonV2(bytes.subarray(0, cut));
      assert.equal(r.spans.length, 0);
      assert.equal(r.errors.length, 1);
      assert.equal(r.errors[0]?.index, -1);
    }
    assert.equal(decodeJsonV2(bytes).spans.length, 4);
  });

  it('deep nesting does not throw', () => {
    const depth = 1_000_000;
    const r = decode(`[${'['.repeat(depth)}${']'.repeat(depth)}]`);
    assert.equal(onlyError(r).code, 'invalid_field');
    const r2 = decode(`[{"traceId":"${T}","id":"${ID}","x":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}]`);
    assert.equal(r2.spans.length, 1);
  });

  it('a 10 MB string costs linear time', { timeout: HANG_GUARD_MS }, () => {
    const big = 'A'.repeat(10 * 1024 * 1024);
    const r = decode(list({ ...base, name: big, tags: { small: 'b' } }));
    assert.equal(r.spans[0]?.name?.length, big.length);
    assert.equal(r.spans[0]?.name?.[0], 'a');
  });

  it('a 10 MB bad field does not end up whole in the error reason', () => {
    const r = decode(list({ ...base, id: 'x'.repeat(10 * 1024 * 1024) }));
    assert.ok((r.errors[0]?.reason.length ?? 0) < 200);
  });

  it('numbers out of range (1e400 parses as Infinity) fail the span, not the message', () => {
    const r = decode(`[{"traceId":"${T}","id":"${ID}","timestamp":1e400},${list(base).slice(1)}`);
    assert.equal(r.spans.length, 1);
    assert.equal(onlyError(r).code, 'invalid_field');
  });

  it('random garbage and mutated real messages never throw', () => {
    const real = loadTrace('messaging-kafka.json').bytes;
    let seed = 7;
    const rnd = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    for (let i = 0; i < 500; i++) {
      const bytes = new Uint8Array(real);
      for (let k = 0; k < 1 + Math.floor(rnd() * 4); k++) bytes[Math.floor(rnd() * bytes.length)] = Math.floor(rnd() * 256);
      const r = decodeJsonV2(bytes);
      assert.ok(Array.isArray(r.spans) && Array.isArray(r.errors));
      const junk = new Uint8Array(Math.floor(rnd() * 64)).map(() => Math.floor(rnd() * 256));
      decodeJsonV2(junk);
    }
  });
});
