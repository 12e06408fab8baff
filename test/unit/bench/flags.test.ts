import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodingFlag, integerFlag } from '../../../bench/flags.js';

describe('bench flags', () => {
  it('reads integers at or above their minimum and collects one error per bad flag', () => {
    const errors: string[] = [];
    assert.equal(integerFlag(errors, 'rounds', '3', 1), 3);
    assert.equal(integerFlag(errors, 'warmup', '0', 0), 0);
    integerFlag(errors, 'rounds', '0', 1);
    integerFlag(errors, 'spans', '1.5', 1000);
    integerFlag(errors, 'workers', 'two', 1);
    assert.deepEqual(errors, [
      '--rounds wants an integer ≥ 1, got "0"',
      '--spans wants an integer ≥ 1000, got "1.5"',
      '--workers wants an integer ≥ 1, got "two"',
    ]);
  });

  it('takes the four Zipkin encodings and names them when given another', () => {
    const errors: string[] = [];
    for (const e of ['json-v2', 'json-v1', 'thrift', 'proto3']) assert.equal(encodingFlag(errors, e), e);
    assert.deepEqual(errors, []);
    encodingFlag(errors, 'json');
    assert.deepEqual(errors, ['--encoding: one of json-v2, json-v1, thrift, proto3, got "json"']);
  });
});
