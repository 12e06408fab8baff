import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hexId, readHexId } from '../../../../workers/link/hex-id.js';

describe('hex IDs as two words', () => {
  it('gives back every 16-digit lower-case hex ID exactly', () => {
    const ids = ['0000000000000000', 'ffffffffffffffff', '8000000000000001', '7fffffff80000000', '0123456789abcdef', 'fedcba9876543210'];
    let seed = 3;
    for (let i = 0; i < 2000; i++) {
      let id = '';
      for (let k = 0; k < 16; k++) {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        id += ((seed >>> 16) & 15).toString(16);
      }
      ids.push(id);
    }
    const words = new Int32Array(4);
    for (const id of ids) {
      assert.ok(readHexId(id, words, 2), id);
      assert.equal(hexId(words[2] as number, words[3] as number), id);
    }
    assert.ok(readHexId('0000000100000002', words, 0));
    assert.deepEqual([words[0], words[1]], [1, 2], 'high word first');
    assert.ok(readHexId('ffffffff80000000', words, 0));
    assert.deepEqual([words[0], words[1]], [-1, -0x80000000], 'as int32');
  });

  it('takes nothing else for a hex ID', () => {
    const words = new Int32Array(2);
    for (const id of [
      '',
      'a1',
      '0123456789ABCDEF',
      '0123456789abcde',
      '0123456789abcdef0',
      '0123456789abcdeg',
      '0123456789abcde\u0130',
      '01234567\u01309abcde',
      ' 123456789abcdef',
    ]) {
      assert.equal(readHexId(id, words, 0), false, JSON.stringify(id));
    }
  });
});
