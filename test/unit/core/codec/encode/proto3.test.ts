import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeJsonV2 } from '../../../../../core/codec/decode/json-v2.js';
import { decodeProto3 } from '../../../../../core/codec/decode/proto3.js';
import { encodeProto3 } from '../../../../../core/codec/encode/proto3.js';
import type { Span } from '../../../../../core/model/span.js';
import { present } from '../../../../helpers/spans.js';
import {
  BACKEND,
  FRONTEND,
  loadTraces,
  withFields,
  ZIPKIN_ERROR_SPAN,
  ZIPKIN_LOCAL_SPAN,
  ZIPKIN_MINIMUM_SPAN,
  ZIPKIN_ROOT_SERVER_SPAN,
  ZIPKIN_SPAN,
  ZIPKIN_UTF8_SPAN,
} from '../codec-fixtures.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const bytesOf = (hexText: string) => hexText.replace(/\s+/g, '');

describe('encodeProto3: bytes derived by hand from zipkin.proto', () => {
  it('one small span with every field', () => {
    const span: Span = {
      traceId: '0000000000000001',
      parentId: '0000000000000003',
      id: '0000000000000002',
      kind: 'SERVER',
      name: 'get',
      timestamp: 1,
      duration: 300,
      localEndpoint: { serviceName: 'a', ipv4: '1.2.3.4', port: 80 },
      remoteEndpoint: { ipv6: '2001:db8::c001' },
      annotations: [{ timestamp: 2, value: 'x' }],
      tags: { k: 'v', e: '' },
      debug: true,
      shared: true,
    };
    // Each line: bytes | what they are. (field << 3 | wire type) gives the tag byte.
    const expected = bytesOf(
      `
      0a 73                                   | ListOfSpans.spans (1, LEN): 115 bytes follow
      0a 08 0000000000000001                  | trace_id (1, LEN), 8 bytes big-endian
      12 08 0000000000000003                  | parent_id (2, LEN)
      1a 08 0000000000000002                  | id (3, LEN)
      20 02                                   | kind (4, VARINT): SERVER = 2
      2a 03 676574                            | name (5, LEN): "get"
      31 0100000000000000                     | timestamp (6, I64): 1, little-endian
      38 ac02                                 | duration (7, VARINT): 300 = 0b10_0101100 -> ac 02
      42 0b                                   | local_endpoint (8, LEN): 11 bytes
      0a 01 61                                |   service_name (1, LEN): "a"
      12 04 01020304                          |   ipv4 (2, LEN): 1.2.3.4
      20 50                                   |   port (4, VARINT): 80
      4a 12                                   | remote_endpoint (9, LEN): 18 bytes
      1a 10 20010db8000000000000000000 00c001 |   ipv6 (3, LEN): 2001:db8::c001
      52 0c                                   | annotations (10, LEN): 12 bytes
      09 0200000000000000                     |   timestamp (1, I64): 2
      12 01 78                                |   value (2, LEN): "x"
      5a 05 0a0165 1200                       | tags entry "e" -> "" (the value is written even when empty)
      5a 06 0a016b 120176                     | tags entry "k" -> "v" (keys sorted)
      60 01                                   | debug (12, VARINT): true
      68 01                                   | shared (13, VARINT): true
      `.replace(/\|.*$/gm, ''),
    );
    assert.equal(hex(encodeProto3([span])), expected);
    assert.equal(encodeProto3([span]).length, 117);
  });
});

describe('encodeProto3: Zipkin test vectors', () => {
  // Proto3ZipkinFieldsTest.span_write_writesIds: traceId "1", id "2"
  const small: Span = { traceId: '0000000000000001', id: '0000000000000002' };

  it('span_write_writesIds', () => {
    assert.equal(hex(encodeProto3([small])), bytesOf('0a 14  0a 08 0000000000000001  1a 08 0000000000000002'));
  });

  it('span_write_kind (PRODUCER = 3 right after the IDs)', () => {
    const out = encodeProto3([{ ...small, kind: 'PRODUCER' }]);
    assert.equal(out[22], 0b0100000);
    assert.equal(out[23], 3);
  });

  it('span_write_debug / span_write_shared are the last two bytes', () => {
    const debug = encodeProto3([{ ...ZIPKIN_SPAN, debug: true }]);
    assert.deepEqual([...debug.subarray(-2)], [0b01100000, 1]);
    const shared = encodeProto3([{ ...ZIPKIN_SPAN, kind: 'SERVER', shared: true }]);
    assert.deepEqual([...shared.subarray(-2)], [0b01101000, 1]);
  });

  it('span_write_omitsEmptyEndpoints', () => {
    assert.equal(encodeProto3([{ ...small, localEndpoint: {}, remoteEndpoint: {} }]).length, 22);
  });

  it('writeList_multiple / writeList_empty', () => {
    assert.equal(encodeProto3([ZIPKIN_SPAN, ZIPKIN_SPAN]).length, 2 * encodeProto3([ZIPKIN_SPAN]).length);
    assert.equal(encodeProto3([]).length, 0);
  });

  // zipkin2.codec.SpanBytesEncoderTest *_PROTO3 sizes.
  const sizes: [string, Span, number][] = [
    ['span_PROTO3', ZIPKIN_SPAN, 182],
    ['localSpan_PROTO3', ZIPKIN_LOCAL_SPAN, 58],
    ['errorSpan_PROTO3', ZIPKIN_ERROR_SPAN, 45],
    ['span_64bitTraceId_PROTO3', withFields(ZIPKIN_SPAN, { traceId: '216a2aea45d08fc9' }), 174],
    ['span_shared_PROTO3', withFields(ZIPKIN_SPAN, { kind: 'SERVER', shared: true }), 184],
    ['specialCharsInJson_PROTO3', ZIPKIN_UTF8_SPAN, 133],
    ['span_minimum_PROTO3', ZIPKIN_MINIMUM_SPAN, 30],
    ['span_noLocalServiceName_PROTO3', withFields(ZIPKIN_SPAN, { localEndpoint: { ipv4: FRONTEND.ipv4 } }), 172],
    ['span_noRemoteServiceName_PROTO3', withFields(ZIPKIN_SPAN, { remoteEndpoint: { ipv4: BACKEND.ipv4, port: BACKEND.port } }), 173],
    ['noAnnotations_rootServerSpan_PROTO3', ZIPKIN_ROOT_SERVER_SPAN, 109],
    ['noAnnotations_rootServerSpan_PROTO3_incomplete', withFields(ZIPKIN_ROOT_SERVER_SPAN, { duration: undefined }), 106],
    ['noAnnotations_rootServerSpan_PROTO3_shared', withFields(ZIPKIN_ROOT_SERVER_SPAN, { shared: true }), 111],
  ];
  for (const [name, span, size] of sizes) {
    it(`${name}: ${size} bytes, and decodes back`, () => {
      const out = encodeProto3([span]);
      assert.equal(out.length, size);
      const back = decodeProto3(out);
      assert.deepEqual(back.errors, []);
      assert.deepEqual(present(back.spans), [span]);
    });
  }
});

describe('encodeProto3: details', () => {
  it('returns bytes that own their ArrayBuffer (transferable)', () => {
    for (const spans of [[], [ZIPKIN_MINIMUM_SPAN], [ZIPKIN_SPAN, ZIPKIN_SPAN]]) {
      const out = encodeProto3(spans);
      assert.equal(out.byteOffset, 0);
      assert.equal(out.byteLength, out.buffer.byteLength);
    }
  });

  it('sorts tag keys as Java TreeMap does, including integer-like keys', () => {
    const out = encodeProto3([{ ...ZIPKIN_MINIMUM_SPAN, tags: { b: '', '10': '', '9': '' } }]);
    const at = (k: string) => Buffer.from(out).indexOf(Buffer.from([0x0a, k.length, ...Buffer.from(k)]));
    const keys = ['b', '10', '9'].sort((x, y) => at(x) - at(y));
    assert.deepEqual(keys, ['10', '9', 'b']);
  });

  it('writes a lone surrogate as "?" (1 byte), like Zipkin WriteBuffer', () => {
    const out = encodeProto3([{ ...ZIPKIN_MINIMUM_SPAN, name: 'a\ud800b' }]);
    assert.ok(hex(out).endsWith(bytesOf('2a 03 613f62')));
    // Long strings take the native path; a lone surrogate there must not change the size.
    const long = `${'x'.repeat(100)}\udc00${'é'.repeat(100)}`;
    const back = decodeProto3(encodeProto3([{ ...ZIPKIN_MINIMUM_SPAN, name: long }]));
    assert.equal(back.spans[0]?.name, `${'x'.repeat(100)}?${'é'.repeat(100)}`);
  });

  it('writes 4-byte UTF-8 for surrogate pairs, in short and long strings', () => {
    for (const name of ['😂', `${'😂'.repeat(40)}x`]) {
      const back = decodeProto3(encodeProto3([{ ...ZIPKIN_MINIMUM_SPAN, name }]));
      assert.equal(back.spans[0]?.name, name);
    }
  });

  it('round-trips int64 edge values: 2^53 - 1 timestamps and durations, negative annotation timestamps', () => {
    const span: Span = {
      ...ZIPKIN_MINIMUM_SPAN,
      timestamp: Number.MAX_SAFE_INTEGER,
      duration: Number.MAX_SAFE_INTEGER,
      annotations: [
        { timestamp: -Number.MAX_SAFE_INTEGER, value: 'min' },
        { timestamp: -1, value: 'minus one' },
        { timestamp: 0, value: 'zero' },
        { timestamp: 2 ** 32, value: 'two^32' },
      ],
    };
    const out = encodeProto3([span]);
    // duration 2^53-1 is a 8-byte varint: 7f*7, 0f
    assert.ok(hex(out).includes(bytesOf('38 ffffffffffffff0f')));
    // -1 as fixed64 is all ones
    assert.ok(hex(out).includes(bytesOf('09 ffffffffffffffff 12 09')));
    const back = decodeProto3(out);
    assert.deepEqual(back.errors, []);
    assert.deepEqual(present(back.spans), [span]);
  });

  it('writes 16-byte trace IDs and IPv6 with ::', () => {
    const span: Span = { ...ZIPKIN_SPAN, localEndpoint: { ipv6: '::1' }, remoteEndpoint: { ipv6: 'fe80::1:2', port: 65535 } };
    const out = encodeProto3([span]);
    assert.ok(hex(out).includes(bytesOf('0a 10 7180c278b62e8f6a216a2aea45d08fc9')));
    assert.ok(hex(out).includes(bytesOf('42 12 1a 10 00000000000000000000000000000001')));
    assert.ok(hex(out).includes(bytesOf('4a 16 1a 10 fe800000000000000000000000010002 20 ffff03')));
    assert.deepEqual(present(decodeProto3(out).spans), [span]);
  });

  it('rejects a span whose ID is not hex (spans must be normalised first)', () => {
    assert.throws(() => encodeProto3([{ ...ZIPKIN_MINIMUM_SPAN, id: 'zz' }]), TypeError);
    // ...and the next call is not affected by the aborted one.
    assert.equal(encodeProto3([ZIPKIN_SPAN]).length, 182);
  });

  it('handles a 10 MB tag value', () => {
    const big = 'v'.repeat(10 * 1024 * 1024);
    const out = encodeProto3([{ ...ZIPKIN_MINIMUM_SPAN, tags: { big } }]);
    assert.equal(decodeProto3(out).spans[0]?.tags?.big, big);
  });
});

describe('encodeProto3: round trip of every shared trace', () => {
  for (const trace of loadTraces()) {
    it(trace.name, () => {
      const decoded = decodeJsonV2(trace.bytes);
      assert.deepEqual(decoded.errors, []);
      const out = encodeProto3(decoded.spans);
      const back = decodeProto3(out);
      assert.deepEqual(back.errors, []);
      assert.deepEqual(back.spans, decoded.spans);
      assert.deepEqual(Buffer.from(encodeProto3(back.spans)), Buffer.from(out));
    });
  }
});
