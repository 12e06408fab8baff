import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hexId, idHigh, idLow, isHexId } from '../../../../workers/link/hex-id.js';

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
    for (const id of ids) {
      assert.ok(isHexId(id), id);
      assert.equal(hexId(idHigh(id), idLow(id)), id);
    }
  });

  it('takes nothing else for a hex ID', () => {
    for (const id of [
      '',
      'a1',
      '0123456789ABCDEF',
      '0123456789abcde',
      '0123456789abcdef0',
      '0123456789abcdeg',
      '0123456789abcde\u0130',
      ' 123456789abcdef',
    ]) {
      assert.equal(isHexId(id), false, JSON.stringify(id));
    }
  });
});
