import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeLine } from '../../../../src/ship/line-decode.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const V2 =
  '{"traceId":"463ac35c9f6413ad48485a3953bb6124","id":"a2fb4a1d1a96d312","name":"get","timestamp":1472470996199000,"duration":207000,"localEndpoint":{"serviceName":"frontend"}}';
const V1 =
  '{"traceId":"463ac35c9f6413ad","id":"a2fb4a1d1a96d312","name":"get","timestamp":1472470996199000,"duration":207000,"annotations":[{"timestamp":1472470996199000,"value":"cs","endpoint":{"serviceName":"frontend"}}]}';

describe('ship decodeLine', () => {
  it('decodes one JSON v2 span per line', () => {
    const r = decodeLine(enc(V2));
    assert.ok(r.ok);
    assert.equal(r.spans.length, 1);
    assert.equal(r.spans[0]?.traceId, '463ac35c9f6413ad48485a3953bb6124');
    assert.equal(r.spans[0]?.localEndpoint?.serviceName, 'frontend');
  });

  it('decodes a JSON v2 array per line, with leading blanks and a CR', () => {
    const r = decodeLine(enc(`  [${V2},${V2.replace('a2fb4a1d1a96d312', 'b2fb4a1d1a96d312')}]\r`));
    assert.ok(r.ok, r.ok ? '' : r.reason);
    assert.equal(r.spans.length, 2);
  });

  it('detects JSON v1 per line (single span and array) and converts it', () => {
    for (const line of [V1, `[${V1}]`]) {
      const r = decodeLine(enc(line));
      assert.ok(r.ok, r.ok ? '' : r.reason);
      assert.equal(r.spans.length, 1);
      assert.equal(r.spans[0]?.kind, 'CLIENT');
      assert.equal(r.spans[0]?.localEndpoint?.serviceName, 'frontend');
    }
  });

  it('returns a reason (never throws) for undecodable lines', () => {
    for (const bad of ['hello world', '{"traceId":', '[{"id":"x"}]', '{"traceId":"zz","id":"a2fb4a1d1a96d312"}']) {
      const r = decodeLine(enc(bad));
      assert.equal(r.ok, false, bad);
      if (!r.ok) assert.ok(r.reason.length > 0);
    }
  });

  it('an empty or blank line yields no spans and no error', () => {
    for (const blank of ['', '   ', '\r']) {
      const r = decodeLine(enc(blank));
      assert.ok(r.ok);
      assert.equal(r.spans.length, 0);
    }
  });
});
