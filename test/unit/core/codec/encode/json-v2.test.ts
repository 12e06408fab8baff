import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeJsonV2 } from '../../../../../core/codec/decode/json-v2.js';
import { encodeJsonV2, quoteZipkin, spanToJsonV2 } from '../../../../../core/codec/encode/json-v2.js';
import type { Span } from '../../../../../core/model/span.js';
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

/** A hang guard for the hostile-input cases, not a speed claim (speed is the benchmark's job). */
const HANG_GUARD_MS = 60_000;

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

// Expected strings copied from zipkin2.codec.SpanBytesEncoderTest (*_JSON_V2), as JSON text.
const SPAN_JSON = `{"traceId":"7180c278b62e8f6a216a2aea45d08fc9","parentId":"6b221d5bc9e6496c","id":"5b4185666d50f68b","kind":"CLIENT","name":"get","timestamp":1472470996199000,"duration":207000,"localEndpoint":{"serviceName":"frontend","ipv4":"127.0.0.1"},"remoteEndpoint":{"serviceName":"backend","ipv4":"192.168.99.101","port":9000},"annotations":[{"timestamp":1472470996238000,"value":"foo"},{"timestamp":1472470996403000,"value":"bar"}],"tags":{"clnt/finagle.version":"6.45.0","http.path":"/api"}}`;

describe('encodeJsonV2: Zipkin SpanBytesEncoderTest vectors', () => {
  it('span_JSON_V2', () => {
    assert.equal(spanToJsonV2(ZIPKIN_SPAN), SPAN_JSON);
  });

  it('localSpan_JSON_V2', () => {
    assert.equal(
      spanToJsonV2(ZIPKIN_LOCAL_SPAN),
      `{"traceId":"dc955a1d4768875d","id":"dc955a1d4768875d","name":"encode","timestamp":1510256710021866,"duration":1117,"localEndpoint":{"serviceName":"isao01","ipv4":"10.23.14.72"}}`,
    );
  });

  it('errorSpan_JSON_V2 (empty tag value is written)', () => {
    assert.equal(
      spanToJsonV2(ZIPKIN_ERROR_SPAN),
      `{"traceId":"dc955a1d4768875d","id":"dc955a1d4768875d","kind":"CLIENT","localEndpoint":{"serviceName":"isao01"},"tags":{"error":""}}`,
    );
  });

  it('span_64bitTraceId_JSON_V2', () => {
    const span = withFields(ZIPKIN_SPAN, { traceId: '216a2aea45d08fc9' });
    assert.equal(spanToJsonV2(span), SPAN_JSON.replace('7180c278b62e8f6a216a2aea45d08fc9', '216a2aea45d08fc9'));
  });

  it('span_shared_JSON_V2', () => {
    const span = withFields(ZIPKIN_SPAN, { kind: 'SERVER', shared: true });
    assert.equal(spanToJsonV2(span), SPAN_JSON.replace('"CLIENT"', '"SERVER"').replace(/}$/, ',"shared":true}'));
  });

  it('specialCharsInJson_JSON_V2 (U+2028/2029 escaped, control characters)', () => {
    assert.equal(
      spanToJsonV2(ZIPKIN_UTF8_SPAN),
      String.raw`{"traceId":"0000000000000001","id":"0000000000000001","name":"\"\\\t\b\n\r\f","annotations":[{"timestamp":1,"value":"\u2028 and \u2029"}],"tags":{"\"foo":"Database error: ORA-00942:\u2028 and \u2029 table or view does not exist\n"}}`,
    );
  });

  it('span_minimum_JSON_V2', () => {
    assert.equal(spanToJsonV2(ZIPKIN_MINIMUM_SPAN), `{"traceId":"7180c278b62e8f6a216a2aea45d08fc9","id":"5b4185666d50f68b"}`);
  });

  it('span_noLocalServiceName_JSON_V2 / span_noRemoteServiceName_JSON_V2', () => {
    const noLocal = withFields(ZIPKIN_SPAN, { localEndpoint: { ipv4: FRONTEND.ipv4 } });
    assert.equal(spanToJsonV2(noLocal), SPAN_JSON.replace('"localEndpoint":{"serviceName":"frontend",', '"localEndpoint":{'));
    const noRemote = withFields(ZIPKIN_SPAN, { remoteEndpoint: { ipv4: BACKEND.ipv4, port: BACKEND.port } });
    assert.equal(spanToJsonV2(noRemote), SPAN_JSON.replace('"remoteEndpoint":{"serviceName":"backend",', '"remoteEndpoint":{'));
  });

  it('noAnnotations_rootServerSpan_JSON_V2 (+ incomplete, + shared)', () => {
    const full = `{"traceId":"dc955a1d4768875d","id":"dc955a1d4768875d","kind":"SERVER","name":"get","timestamp":1510256710021866,"duration":1117,"localEndpoint":{"serviceName":"isao01","ipv4":"10.23.14.72"},"tags":{"http.path":"/rs/A","location":"T67792","other":"A"}}`;
    assert.equal(spanToJsonV2(ZIPKIN_ROOT_SERVER_SPAN), full);
    assert.equal(spanToJsonV2(withFields(ZIPKIN_ROOT_SERVER_SPAN, { duration: undefined })), full.replace(',"duration":1117', ''));
    assert.equal(spanToJsonV2(withFields(ZIPKIN_ROOT_SERVER_SPAN, { shared: true })), full.replace(/}$/, ',"shared":true}'));
  });
});

describe('encodeJsonV2: format details', () => {
  it('writes a list, and [] for no spans', () => {
    assert.equal(text(encodeJsonV2([])), '[]');
    assert.equal(
      text(encodeJsonV2([ZIPKIN_MINIMUM_SPAN, ZIPKIN_MINIMUM_SPAN])),
      `[${spanToJsonV2(ZIPKIN_MINIMUM_SPAN)},${spanToJsonV2(ZIPKIN_MINIMUM_SPAN)}]`,
    );
  });

  it('returns bytes that own their ArrayBuffer (transferable), even when small', () => {
    for (const spans of [[], [ZIPKIN_MINIMUM_SPAN], [ZIPKIN_SPAN, ZIPKIN_SPAN]]) {
      const out = encodeJsonV2(spans);
      assert.equal(out.byteOffset, 0);
      assert.equal(out.byteLength, out.buffer.byteLength);
    }
  });

  it('sorts tag keys as Java TreeMap does, including integer-like keys JS objects list first', () => {
    const span: Span = { ...ZIPKIN_MINIMUM_SPAN, tags: { b: '1', '10': '2', '9': '3', A: '4' } };
    assert.match(spanToJsonV2(span), /"tags":\{"10":"2","9":"3","A":"4","b":"1"\}/);
  });

  it('omits empty endpoints, empty annotations/tags, zero times and false flags', () => {
    const span: Span = {
      ...ZIPKIN_MINIMUM_SPAN,
      localEndpoint: {},
      remoteEndpoint: { port: 0 },
      annotations: [],
      tags: {},
      timestamp: 0,
      duration: 0,
      debug: false,
      shared: false,
    };
    assert.equal(spanToJsonV2(span), spanToJsonV2(ZIPKIN_MINIMUM_SPAN));
  });

  it('writes ipv6 and port, debug before shared', () => {
    const span: Span = {
      ...ZIPKIN_MINIMUM_SPAN,
      localEndpoint: { serviceName: 'a', ipv6: '2001:db8::c001', port: 1 },
      debug: true,
      shared: true,
    };
    assert.equal(
      spanToJsonV2(span),
      `{"traceId":"7180c278b62e8f6a216a2aea45d08fc9","id":"5b4185666d50f68b","localEndpoint":{"serviceName":"a","ipv6":"2001:db8::c001","port":1},"debug":true,"shared":true}`,
    );
  });

  it('escapes like Zipkin JsonEscaper: lower-case \\u00XX, no escape for / or DEL, ? for a lone surrogate', () => {
    assert.equal(quoteZipkin('a/b\u007f'), '"a/b\u007f"');
    assert.equal(quoteZipkin('\u0000\u001f\u000b'), String.raw`"\u0000\u001f\u000b"`);
    assert.equal(quoteZipkin('x\ud800y'), '"x?y"');
    assert.equal(quoteZipkin('\udc00'), '"?"');
    assert.equal(quoteZipkin('emoji 😂 ok'), '"emoji 😂 ok"');
    assert.equal(quoteZipkin('个人信息查询'), '"个人信息查询"');
    // What JSON.parse reads back is the original text (but for the '?').
    const nasty = '"\\\t\b\n\r\f\u2028\u2029\u0001😂</script>';
    assert.equal(JSON.parse(quoteZipkin(nasty)), nasty);
  });

  it('writes UTF-8 (a lone surrogate as the single byte "?")', () => {
    const span: Span = { ...ZIPKIN_MINIMUM_SPAN, name: 'é\ud83d' };
    const bytes = encodeJsonV2([span]);
    const expected = Buffer.from(`[${`{"traceId":"7180c278b62e8f6a216a2aea45d08fc9","id":"5b4185666d50f68b","name":"é?"}`}]`, 'utf8');
    assert.deepEqual(Buffer.from(bytes), expected);
  });

  it('throws nothing for a 10 MB string and escapes it linearly', { timeout: HANG_GUARD_MS }, () => {
    const big = 'x"'.repeat(5 * 1024 * 1024);
    const out = encodeJsonV2([{ ...ZIPKIN_MINIMUM_SPAN, tags: { big } }]);
    const back = decodeJsonV2(out);
    assert.equal(back.spans[0]?.tags?.big, big);
  });
});

describe('encodeJsonV2: round trip of every shared trace', () => {
  for (const trace of loadTraces()) {
    it(trace.name, () => {
      const decoded = decodeJsonV2(trace.bytes);
      assert.deepEqual(decoded.errors, []);
      assert.equal(decoded.spans.length, trace.count);
      const again = decodeJsonV2(encodeJsonV2(decoded.spans));
      assert.deepEqual(again.errors, []);
      assert.deepEqual(again.spans, decoded.spans);
      // And the encoding is a fixed point: canonical bytes in, the same bytes out.
      assert.deepEqual(Buffer.from(encodeJsonV2(again.spans)), Buffer.from(encodeJsonV2(decoded.spans)));
    });
  }
});
