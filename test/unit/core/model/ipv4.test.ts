import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isIpv4, parseIpv4 } from '../../../../core/model/ipv4.js';

describe('parseIpv4', () => {
  it('reads dotted quads as Zipkin accepts them (leading zeros allowed, decimal) into one number', () => {
    assert.equal(parseIpv4('10.0.0.1'), 0x0a000001);
    assert.equal(parseIpv4('255.255.255.255'), 0xffffffff);
    assert.equal(parseIpv4('0.0.0.0'), 0);
    assert.equal(parseIpv4('010.000.000.004'), 0x0a000004, 'decimal, never octal');
    assert.equal(isIpv4('192.168.1.2'), true);
  });

  it('rejects everything else', () => {
    for (const s of [
      '',
      '1.2.3',
      '1.2.3.4.5',
      '256.0.0.1',
      '1..2.3',
      '.1.2.3',
      '1.2.3.',
      '1.2.3.4 ',
      '1.2.3.a',
      '0001.2.3.4',
      '::1',
      '1.2.3.4\n',
    ]) {
      assert.equal(parseIpv4(s), -1, JSON.stringify(s));
      assert.equal(isIpv4(s), false, JSON.stringify(s));
    }
  });
});
