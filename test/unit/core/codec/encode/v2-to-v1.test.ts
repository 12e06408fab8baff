/** V2SpanConverter rules (zipkin2/v1/V2SpanConverter.java), one span per rule. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { convertV2ToV1 } from '../../../../../core/codec/encode/v2-to-v1.js';
import type { Endpoint, Span } from '../../../../../core/model/span.js';
import type { V1Span } from '../../../../../core/model/v1.js';

const FE: Endpoint = { serviceName: 'frontend', ipv4: '172.17.0.13', port: 8080 };
const BE: Endpoint = { serviceName: 'backend', ipv4: '192.168.99.101', port: 9000 };
const IDS = { traceId: '86154a4ba6e91385', parentId: '86154a4ba6e91385', id: '4d1e00c0db9010db' };
const T = 1472470996199000;

function v1(span: Omit<Span, 'traceId' | 'id'>): V1Span {
  return convertV2ToV1({ ...IDS, ...span });
}

/** The v1 span with undefined-valued keys dropped, for readable expectations. */
function plain(v: V1Span): V1Span {
  return JSON.parse(JSON.stringify(v)) as V1Span;
}

const base = { traceId: IDS.traceId, parentId: IDS.parentId, id: IDS.id };

describe('convertV2ToV1', () => {
  it('CLIENT: cs at timestamp, cr at timestamp + duration, remote as "sa"', () => {
    assert.deepEqual(
      plain(
        v1({ kind: 'CLIENT', name: 'get', timestamp: T, duration: 9, localEndpoint: FE, remoteEndpoint: BE, tags: { 'http.path': '/' } }),
      ),
      {
        ...base,
        name: 'get',
        timestamp: T,
        duration: 9,
        annotations: [
          { timestamp: T, value: 'cs', endpoint: FE },
          { timestamp: T + 9, value: 'cr', endpoint: FE },
        ],
        binaryAnnotations: [
          { key: 'http.path', value: '/', endpoint: FE },
          { key: 'sa', value: true, endpoint: BE },
        ],
      },
    );
  });

  it('shared SERVER: no v1 timestamp/duration (v1 convention), sr/ss annotations, remote as "ca"', () => {
    assert.deepEqual(plain(v1({ kind: 'SERVER', timestamp: T, duration: 9, localEndpoint: BE, remoteEndpoint: FE, shared: true })), {
      ...base,
      annotations: [
        { timestamp: T, value: 'sr', endpoint: BE },
        { timestamp: T + 9, value: 'ss', endpoint: BE },
      ],
      binaryAnnotations: [{ key: 'ca', value: true, endpoint: FE }],
    });
  });

  it('PRODUCER: ms/ws, remote as "ma"; earlier ms and later ws annotations win', () => {
    const out = v1({
      kind: 'PRODUCER',
      timestamp: T,
      duration: 5,
      localEndpoint: FE,
      remoteEndpoint: BE,
      annotations: [
        { timestamp: T - 10, value: 'ms' },
        { timestamp: T + 10, value: 'ws' },
      ],
    });
    assert.deepEqual(plain(out).annotations, [
      { timestamp: T - 10, value: 'ms', endpoint: FE },
      { timestamp: T + 10, value: 'ws', endpoint: FE },
    ]);
    assert.deepEqual(plain(out).binaryAnnotations, [{ key: 'ma', value: true, endpoint: BE }]);
  });

  it('CONSUMER: wr/mr with a duration, mr alone without', () => {
    assert.deepEqual(
      v1({ kind: 'CONSUMER', timestamp: T, duration: 5, localEndpoint: BE }).annotations.map((a) => [a.value, a.timestamp]),
      [
        ['wr', T],
        ['mr', T + 5],
      ],
    );
    assert.deepEqual(
      v1({ kind: 'CONSUMER', timestamp: T, localEndpoint: BE }).annotations.map((a) => [a.value, a.timestamp]),
      [['mr', T]],
    );
  });

  it('the kind is implied by two-letter annotations; an earlier cs moves the start', () => {
    const out = v1({
      timestamp: T,
      duration: 10,
      localEndpoint: FE,
      annotations: [
        { timestamp: T - 3, value: 'cs' },
        { timestamp: T + 1, value: 'retry' },
      ],
    });
    assert.deepEqual(
      out.annotations.map((a) => [a.value, a.timestamp]),
      [
        ['cs', T - 3],
        ['retry', T + 1],
        ['cr', T + 10],
      ],
    );
  });

  it('without kind a remote endpoint is written as "sa"; without timestamp no core annotations', () => {
    const out = v1({ remoteEndpoint: BE, localEndpoint: FE });
    assert.deepEqual(plain(out), {
      ...base,
      annotations: [],
      binaryAnnotations: [
        { key: 'lc', value: '', endpoint: FE },
        { key: 'sa', value: true, endpoint: BE },
      ],
    });
    assert.deepEqual(plain(v1({ kind: 'CLIENT', localEndpoint: FE })), {
      ...base,
      annotations: [],
      binaryAnnotations: [{ key: 'lc', value: '', endpoint: FE }],
    });
  });

  it('an empty "lc" keeps the endpoint of a span that has nothing else; not with tags or annotations', () => {
    assert.deepEqual(plain(v1({ timestamp: T, duration: 1, localEndpoint: FE })).binaryAnnotations, [
      { key: 'lc', value: '', endpoint: FE },
    ]);
    assert.deepEqual(
      v1({ timestamp: T, duration: 1, localEndpoint: FE, tags: { a: 'b' } }).binaryAnnotations.map((b) => b.key),
      ['a'],
    );
    assert.deepEqual(
      v1({ timestamp: T, duration: 1, localEndpoint: FE, annotations: [{ timestamp: T, value: 'x' }] }).binaryAnnotations,
      [],
    );
    assert.deepEqual(v1({ timestamp: T, duration: 1 }).binaryAnnotations, []);
  });

  it('splits a 128-bit trace ID; copies name and debug', () => {
    const out = convertV2ToV1({ traceId: '463ac35c9f6413ad48485a3953bb6124', id: IDS.id, name: 'n', debug: true });
    assert.equal(out.traceIdHigh, '463ac35c9f6413ad');
    assert.equal(out.traceId, '48485a3953bb6124');
    assert.equal(out.name, 'n');
    assert.equal(out.debug, true);
  });

  it('sorts annotations by (timestamp, value) and binary annotations by key, stably', () => {
    const out = v1({
      kind: 'SERVER',
      timestamp: T,
      duration: 10,
      localEndpoint: BE,
      remoteEndpoint: FE,
      annotations: [
        { timestamp: T + 5, value: 'b' },
        { timestamp: T + 5, value: 'a' },
      ],
      tags: { z: '1', '10': 'numeric', ca: 'a tag named ca', a: '2' },
    });
    assert.deepEqual(
      out.annotations.map((a) => a.value),
      ['sr', 'a', 'b', 'ss'],
    );
    assert.deepEqual(
      out.binaryAnnotations.map((b) => [b.key, b.value]),
      [
        ['10', 'numeric'],
        ['a', '2'],
        ['ca', 'a tag named ca'],
        ['ca', true],
        ['z', '1'],
      ],
    );
  });
});
