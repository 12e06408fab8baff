import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeJsonV1 } from '../../../../../core/codec/decode/json-v1.js';
import { isNormalizeFailure, normalizeSpan, type RawSpan } from '../../../../../core/model/normalize.js';
import type { DecodeResult, Span } from '../../../../../core/model/span.js';
import { JSON_V1_BAD_CASES, JSON_V1_CASES, loadGolden } from '../fixtures/zipkin-cases.js';

const enc = new TextEncoder();
const golden = loadGolden();

/** Zipkin's v2 output, through the same normalisation our decoder applies. */
function zipkinSpans(name: string): Span[] {
  const g = golden[name];
  assert.ok(g?.v2, `no golden v2 for ${name}: ${g?.error}`);
  return g.v2.map((raw) => {
    const s = normalizeSpan(raw as RawSpan);
    assert.ok(!isNormalizeFailure(s));
    return s;
  });
}

function decode(value: unknown, options?: Parameters<typeof decodeJsonV1>[1]): DecodeResult {
  return decodeJsonV1(enc.encode(JSON.stringify(value)), options);
}

/** Plain data (drops undefined-valued keys and prototypes) for deep comparison. */
function plain(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v));
}

const SPAN = { traceId: '86154a4ba6e91385', id: '4d1e00c0db9010db', name: 'x', timestamp: 1472470996199000, duration: 5 };

describe('decodeJsonV1 matches Zipkin (SpanBytesDecoder.JSON_V1, golden vectors)', () => {
  for (const name of Object.keys(JSON_V1_CASES)) {
    it(name, () => {
      const r = decode(JSON_V1_CASES[name]);
      assert.deepEqual(r.errors, []);
      assert.equal(r.encoding, 'json-v1');
      const expected = zipkinSpans(`json-v1:${name}`);
      if (name === 'binary annotation value types') {
        // Allowed difference: zipkin2 drops boolean (non-address) and numeric values; by default we
        // keep them as zipkin 1.x did. With typedBinaryAnnotations 'drop' we match zipkin2 exactly.
        assert.deepEqual(plain(decode(JSON_V1_CASES[name], { typedBinaryAnnotations: 'drop' }).spans), plain(expected));
        assert.deepEqual(r.spans[0]?.tags, { ...expected[0]?.tags, bool: 'true', 'bool.false': 'false', i32: '42', double: '1.5' });
        return;
      }
      assert.deepEqual(plain(r.spans), plain(expected));
    });
  }
});

describe('decodeJsonV1 salvage: Zipkin drops the whole message, we drop one span', () => {
  it('keeps the spans around a bad one and reports its index and byte offset', () => {
    const text = JSON_V1_BAD_CASES['bad span in the middle'] as string;
    assert.ok(golden['json-v1-bad:bad span in the middle']?.error);
    const r = decodeJsonV1(enc.encode(text));
    assert.deepEqual(
      r.spans.map((s) => s.id),
      ['0000000000000001', '0000000000000003'],
    );
    assert.equal(r.errors.length, 1);
    const e = r.errors[0];
    assert.equal(e?.index, 1);
    assert.equal(e?.code, 'invalid_id');
    assert.equal(e?.encoding, 'json-v1');
    assert.equal(text.charAt(e?.offset ?? -1), '{');
    assert.ok(text.slice(e?.offset).startsWith('{"traceId":"not-hex!"'));
  });

  const cases: [string, string][] = [
    ['missing traceId', 'missing_field'],
    ['annotation without value', 'missing_field'],
    ['binary annotation without key', 'missing_field'],
    ['zero trace ID low bits', 'invalid_id'],
  ];
  for (const [name, code] of cases) {
    it(`${name} → ${code} for that span (Zipkin: "${golden[`json-v1-bad:${name}`]?.error}")`, () => {
      const r = decodeJsonV1(enc.encode(JSON_V1_BAD_CASES[name] as string));
      assert.deepEqual(r.spans, []);
      assert.deepEqual(
        r.errors.map((e) => [e.index, e.code]),
        [[0, code]],
      );
      assert.equal(r.errors[0]?.offset, 1);
    });
  }

  it('reports each non-object element and wrongly typed field, keeping the rest', () => {
    const r = decode([
      1,
      'x',
      null,
      [],
      { ...SPAN, traceId: 42 },
      { ...SPAN, id: 'zz' },
      { ...SPAN, timestamp: 'soon' },
      { ...SPAN, timestamp: 2 ** 60 },
      { ...SPAN, debug: 'yes' },
      { ...SPAN, annotations: {} },
      { ...SPAN, annotations: [{ timestamp: 1, value: 'v', endpoint: 'host' }] },
      { ...SPAN, annotations: [{ timestamp: 1, value: 'v', endpoint: { port: 'http' } }] },
      { ...SPAN, binaryAnnotations: [{ key: 'k', value: 'v', endpoint: [] }] },
      { ...SPAN, parentId: 'x'.repeat(33) },
      SPAN,
    ]);
    assert.deepEqual(
      r.errors.map((e) => [e.index, e.code]),
      [
        [0, 'malformed'],
        [1, 'malformed'],
        [2, 'malformed'],
        [3, 'malformed'],
        [4, 'invalid_field'],
        [5, 'invalid_id'],
        [6, 'invalid_field'],
        [7, 'invalid_field'],
        [8, 'invalid_field'],
        [9, 'invalid_field'],
        [10, 'invalid_field'],
        [11, 'invalid_field'],
        [12, 'invalid_field'],
        [13, 'invalid_id'],
      ],
    );
    assert.equal(r.spans.length, 1);
  });

  it('computes element offsets through strings with brackets, escapes and nesting', () => {
    const text = ` [ {"traceId":"1","id":"1","name":"a ] , [ \\" {"}, 7 ,\n"s",{"x":[{"y":"]"}],"traceId":"zz","id":"1"}]`;
    const r = decodeJsonV1(enc.encode(text));
    assert.deepEqual(
      r.errors.map((e) => [e.index, e.offset, text.charAt(e.offset)]),
      [
        [1, text.indexOf('7'), '7'],
        [2, text.indexOf('"s"'), '"'],
        [3, text.indexOf('{"x"'), '{'],
      ],
    );
    assert.equal(r.spans.length, 1);
  });
});

describe('decodeJsonV1 whole-message failures (index -1), never throws', () => {
  function only(r: DecodeResult): [number, string, number] {
    assert.equal(r.spans.length, 0);
    assert.equal(r.errors.length, 1);
    const e = r.errors[0] as DecodeResult['errors'][number];
    return [e.index, e.code, e.offset];
  }

  it('empty, too large', () => {
    assert.deepEqual(only(decodeJsonV1(new Uint8Array(0))), [-1, 'empty', 0]);
    assert.deepEqual(only(decodeJsonV1(enc.encode('[]      '), { maxBytes: 4 })), [-1, 'too_large', 0]);
  });

  it('invalid UTF-8, with the offset of the first bad byte', () => {
    const bytes = Uint8Array.from([...enc.encode('[{"traceId":"a","id":"b","name":"'), 0xc3, 0x28, ...enc.encode('"}]')]);
    assert.deepEqual(only(decodeJsonV1(bytes)), [-1, 'invalid_utf8', 33]);
    // Overlong encoding, lone surrogate, truncated sequence at the end.
    for (const bad of [
      [0xc0, 0xaf],
      [0xed, 0xa0, 0x80],
      [0xf0, 0x9f],
    ]) {
      const msg = Uint8Array.from([0x5b, 0x22, ...bad]);
      assert.deepEqual(only(decodeJsonV1(msg)), [-1, 'invalid_utf8', 2]);
    }
  });

  it('not JSON, with the byte offset where parsing stopped', () => {
    const [index, code, offset] = only(decodeJsonV1(enc.encode('[{"name":"é", oops}]')));
    assert.equal(index, -1);
    assert.equal(code, 'malformed');
    assert.equal(offset, 15); // byte offset: "é" is two bytes
  });

  it('not an array', () => {
    assert.deepEqual(only(decode(SPAN)), [-1, 'not_a_list', 0]);
    assert.deepEqual(only(decodeJsonV1(enc.encode('null'))), [-1, 'not_a_list', 0]);
  });

  it('empty list: no spans, no errors', () => {
    assert.deepEqual(decodeJsonV1(enc.encode('[]')), { encoding: 'json-v1', spans: [], errors: [] });
  });
});

describe('decodeJsonV1 hostile input', () => {
  it('deep nesting in an unknown field is skipped without recursion', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const text = `[{"traceId":"a","id":"b","junk":${deep}},${deep}]`;
    const r = decodeJsonV1(enc.encode(text));
    assert.equal(r.spans.length, 1);
    assert.deepEqual(
      r.errors.map((e) => [e.index, e.code]),
      [[1, 'malformed']],
    );
  });

  it('a million bad elements give a bounded error list', () => {
    const text = `[${'1,'.repeat(1_000_000)}{"traceId":"a","id":"b"}]`;
    const r = decodeJsonV1(enc.encode(text));
    assert.equal(r.spans.length, 1);
    assert.equal(r.errors.length, 101);
    assert.match(r.errors[100]?.reason ?? '', /999899 more span errors not listed/);
    assert.equal(decodeJsonV1(enc.encode(text), { maxErrors: 3 }).errors.length, 4);
  });

  it('a 10 MB tag value decodes intact', () => {
    const big = 'x'.repeat(10 * 1024 * 1024);
    const r = decode([{ ...SPAN, binaryAnnotations: [{ key: 'big', value: big, endpoint: { serviceName: 's' } }] }]);
    assert.deepEqual(r.errors, []);
    assert.equal(r.spans[0]?.tags?.big?.length, big.length);
  });

  it('a 17 MB message is refused by the default cap without being parsed', () => {
    const bytes = new Uint8Array(17 * 1024 * 1024).fill(0x20);
    bytes[0] = 0x5b;
    const r = decodeJsonV1(bytes);
    assert.equal(r.errors[0]?.code, 'too_large');
  });

  it('"__proto__" keys are plain data', () => {
    const text = `[{"traceId":"a","id":"b","__proto__":{"traceId":"c"},"binaryAnnotations":[{"key":"__proto__","value":"v","endpoint":{"serviceName":"s"}}]}]`;
    const r = decodeJsonV1(enc.encode(text));
    assert.deepEqual(r.errors, []);
    assert.equal(r.spans[0]?.traceId, '000000000000000a');
    assert.deepEqual(Object.entries(r.spans[0]?.tags ?? {}), [['__proto__', 'v']]);
  });
});

describe('decodeJsonV1 field details', () => {
  it('binary annotation values: strings whatever the type, typed numbers, base64 kept verbatim', () => {
    const ep = { serviceName: 's' };
    const r = decode([
      {
        ...SPAN,
        binaryAnnotations: [
          { key: 'i64', value: 123, type: 'I64', endpoint: ep },
          { key: 'big', value: 2 ** 70, type: 'I64', endpoint: ep },
          { key: 'd', value: 100, type: 'DOUBLE', endpoint: ep },
          { key: 'frac', value: 0.5, endpoint: ep },
          { key: 'sa', value: 5, endpoint: ep },
          { key: 's', value: '42', type: 'I32', endpoint: ep },
        ],
      },
    ]);
    assert.deepEqual(r.spans[0]?.tags, { big: '1180591620717411303424', d: '100.0', frac: '0.5', i64: '123', s: '42' });
    assert.equal(r.spans[0]?.remoteEndpoint, undefined);
  });

  it('timestamps: numeric strings accepted, fractions truncated, 2^53 and beyond refused', () => {
    assert.equal(decode([{ ...SPAN, timestamp: '1472470996199000' }]).spans[0]?.timestamp, 1472470996199000);
    assert.equal(decode([{ ...SPAN, timestamp: 1472470996199000.5 }]).spans[0]?.timestamp, 1472470996199000);
    assert.equal(decode([{ ...SPAN, timestamp: 2 ** 53 - 1 }]).spans[0]?.timestamp, 2 ** 53 - 1);
    assert.equal(decode([{ ...SPAN, timestamp: 2 ** 53 }]).errors[0]?.code, 'invalid_field');
    assert.equal(decode([{ ...SPAN, annotations: [{ timestamp: '1e400', value: 'v' }] }]).errors[0]?.code, 'invalid_field');
  });

  it('IDs: 32 chars carry the high bits, 17-31 keep the low 64, longer ids keep their last 16', () => {
    assert.equal(decode([{ ...SPAN, traceId: '463ac35c9f6413ad48485a3953bb6124' }]).spans[0]?.traceId, '463ac35c9f6413ad48485a3953bb6124');
    assert.equal(decode([{ ...SPAN, traceId: '0000000000000000048485a3953bb6124'.slice(1) }]).spans[0]?.traceId, '48485a3953bb6124');
    assert.equal(decode([{ ...SPAN, traceId: 'fff48485a3953bb6124' }]).spans[0]?.traceId, '48485a3953bb6124');
    assert.equal(decode([{ ...SPAN, id: '1234567890abcdef12', parentId: '00fedcba0987654321' }]).spans[0]?.id, '34567890abcdef12');
    // Upper-case hex is repaired (Zipkin refuses it).
    assert.equal(decode([{ ...SPAN, traceId: '48485A3953BB6124' }]).spans[0]?.traceId, '48485a3953bb6124');
  });
});
