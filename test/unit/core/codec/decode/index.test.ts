import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeOtlpRequest } from '../../../../../bench/otlp-corpus.js';
import { decodeMessage, detect } from '../../../../../core/codec/decode/index.js';
import { encodeJsonV1 } from '../../../../../core/codec/encode/json-v1.js';
import { encodeJsonV2 } from '../../../../../core/codec/encode/json-v2.js';
import { encodeProto3 } from '../../../../../core/codec/encode/proto3.js';
import { encodeThrift } from '../../../../../core/codec/encode/thrift.js';
import { ENCODERS } from '../../../../../core/codec/formats.js';
import type { Span } from '../../../../../core/model/span.js';
import { present } from '../../../../helpers/spans.js';
import { sharedTraces } from '../../../../helpers/traffic.js';

const span: Span = {
  traceId: '86154a4ba6e91385',
  id: '4d1e00c0db9010db',
  kind: 'CLIENT',
  name: 'get',
  timestamp: 1470150004071068,
  duration: 99411,
  localEndpoint: { serviceName: 'frontend', ipv4: '192.168.99.1' },
};

describe('detect (Zipkin KafkaCollector rules, B.8)', () => {
  it('classifies each encoding as Zipkin does', () => {
    assert.deepEqual(detect(new Uint8Array()), { kind: 'empty' });
    assert.deepEqual(detect(Uint8Array.of(0x5b)), { kind: 'too_short' });
    assert.deepEqual(detect(encodeJsonV2([span])), { kind: 'list', encoding: 'json-v2' });
    assert.deepEqual(detect(encodeJsonV1([span])), { kind: 'list', encoding: 'json-v1' });
    assert.deepEqual(detect(encodeProto3([span])), { kind: 'list', encoding: 'proto3' });
    assert.deepEqual(detect(encodeThrift([span])), { kind: 'list', encoding: 'thrift' });
    // A v1 Thrift span starts 0x0A 0x00 0x01 (i64 field 1): a legacy single span, not proto3.
    assert.deepEqual(detect(Uint8Array.of(10, 0, 1, 0)), { kind: 'single-thrift' });
    assert.deepEqual(detect(Uint8Array.of(11, 0, 0, 0, 1)), { kind: 'single-thrift' });
  });

  it('tells JSON v2 from v1 by Endpoint" or "tags", like the byte scan Zipkin does', () => {
    assert.deepEqual(detect(Buffer.from('[{"traceId":"1","id":"1","tags":{}}]')), { kind: 'list', encoding: 'json-v2' });
    assert.deepEqual(detect(Buffer.from('[{"traceId":"1","id":"1","name":"x"}]')), { kind: 'list', encoding: 'json-v1' });
  });

  it('rejects a bare JSON object and unknown first bytes with a reason', () => {
    assert.equal(detect(Buffer.from('{"traceId":"1"}')).kind, 'unknown');
    assert.equal(detect(Buffer.from('hello')).kind, 'unknown');
  });
});

describe('decodeMessage', () => {
  it('decodes every encoding to the same normalised span', () => {
    for (const encode of [encodeJsonV2, encodeJsonV1, encodeProto3, encodeThrift]) {
      const r = decodeMessage(encode([span]));
      assert.deepEqual(r.errors, []);
      assert.deepEqual(present(r.spans), [span]);
    }
  });

  it('an empty message is no error; a 1-byte one and a bare object are', () => {
    assert.deepEqual(decodeMessage(new Uint8Array()), { encoding: 'unknown', spans: [], errors: [] });
    assert.equal(decodeMessage(Uint8Array.of(1)).errors[0]?.code, 'too_short');
    assert.equal(decodeMessage(Buffer.from('{"a":1}')).errors[0]?.code, 'unknown_format');
  });

  it('salvages a Thrift list written with the historic list type byte 11', () => {
    const list = encodeThrift([span, { ...span, id: '0000000000000002' }]);
    const typo = Uint8Array.from(list);
    typo[0] = 11;
    const r = decodeMessage(typo);
    assert.equal(r.spans.length, 2);
  });

  it('every decoder gives every span the same keys in the same order, and every endpoint likewise (one hidden class)', () => {
    const spanKeys = 'traceId,parentId,id,kind,name,timestamp,duration,localEndpoint,remoteEndpoint,annotations,tags,debug,shared';
    const endpointKeys = 'serviceName,ipv4,ipv6,port';
    const spans = sharedTraces().flatMap((t) => t.spans);
    // Spans without the optional fields too: a shape built key by key would differ exactly there.
    const bare: Span = { traceId: '86154a4ba6e91385', id: '4d1e00c0db9010db' };
    const encoders: [string, (spans: Span[]) => Uint8Array][] = [...Object.entries(ENCODERS), ['otlp-proto', encodeOtlpRequest]];
    for (const [encoding, encode] of encoders) {
      const r = decodeMessage(encode([...spans, bare]));
      assert.deepEqual(r.errors, [], encoding);
      assert.equal(r.spans.length, spans.length + 1, encoding);
      for (const s of r.spans) {
        assert.equal(Object.keys(s).join(','), spanKeys, `${encoding}: span ${s.id}`);
        for (const e of [s.localEndpoint, s.remoteEndpoint])
          if (e !== undefined) assert.equal(Object.keys(e).join(','), endpointKeys, `${encoding}: span ${s.id}`);
      }
    }
  });
});
