import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { shardOf, traceHash } from '../../../../workers/assemble/shard.js';
import { createPrng } from '../../../helpers/prng.js';

const hex16 = (n: number): string => n.toString(16).padStart(16, '0');

/** Chi-square critical value at p ≈ 0.001 (Wilson–Hilferty approximation). */
function chiSquareCritical(df: number): number {
  const z = 3.09;
  const a = 2 / (9 * df);
  return df * (1 - a + z * Math.sqrt(a)) ** 3;
}

function chiSquare(ids: Iterable<string>, workers: number): number {
  const counts = new Array<number>(workers).fill(0);
  let total = 0;
  for (const id of ids) {
    const s = shardOf(id, workers);
    counts[s] = (counts[s] as number) + 1;
    total++;
  }
  const expected = total / workers;
  let chi = 0;
  for (const c of counts) chi += (c - expected) ** 2 / expected;
  return chi;
}

const WORKER_COUNTS = [2, 3, 4, 7, 8, 12, 16, 64];

describe('shardOf', () => {
  it('sends a 128-bit trace ID and its lower 64 bits to the same worker', () => {
    const rnd = createPrng(1);
    for (let i = 0; i < 2_000; i++) {
      const low = rnd.hex(16);
      const high = rnd.hex(16);
      for (const n of WORKER_COUNTS) assert.equal(shardOf(high + low, n), shardOf(low, n), `${high}${low} n=${n}`);
      assert.equal(traceHash(high + low), traceHash(low));
    }
  });

  it('ignores case and reads short IDs as left-padded with zeros', () => {
    assert.equal(traceHash('463AC35C9F6413AD'), traceHash('463ac35c9f6413ad'));
    assert.equal(traceHash('abc'), traceHash('0000000000000abc'));
    assert.equal(traceHash('123456789abc'), traceHash('0000123456789abc'));
    assert.equal(traceHash('9abcdef0'), traceHash('000000009abcdef0'));
    // 17–31 chars: only the last 16 count, like any 128-bit ID.
    assert.equal(traceHash('f463ac35c9f6413ad'), traceHash('463ac35c9f6413ad'));
  });

  it('is stable: these values decide placement and must not change silently', () => {
    assert.equal(traceHash('0000000000000001'), 1863002342);
    assert.equal(traceHash('463ac35c9f6413ad'), 2965369141);
    assert.equal(traceHash('463ac35c9f6413ad48485a3953bb6124'), 631533962);
    assert.equal(traceHash('ffffffffffffffff'), 478346618);
  });

  it('returns an integer in [0, workers)', () => {
    const rnd = createPrng(2);
    for (let i = 0; i < 5_000; i++) {
      const n = rnd.range(1, 300);
      const s = shardOf(rnd.hex(rnd.chance(0.5) ? 16 : 32), n);
      assert.ok(Number.isInteger(s) && s >= 0 && s < n, `${s} for n=${n}`);
    }
    assert.equal(shardOf('463ac35c9f6413ad', 1), 0);
  });

  it('rejects a worker count that is not a positive integer', () => {
    for (const n of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 70_000]) {
      assert.throws(() => shardOf('463ac35c9f6413ad', n), RangeError, String(n));
    }
  });

  it('spreads sequential IDs (counter in the lowest digits) uniformly', () => {
    function* ids(): Generator<string> {
      for (let i = 0; i < 60_000; i++) yield hex16(0x1000 + i);
    }
    for (const n of WORKER_COUNTS) assert.ok(chiSquare(ids(), n) < chiSquareCritical(n - 1), `n=${n}`);
  });

  it('spreads IDs that differ only in the upper half of the lower 64 bits uniformly', () => {
    function* ids(): Generator<string> {
      for (let i = 0; i < 60_000; i++) yield i.toString(16).padStart(8, '0') + '00000000';
    }
    for (const n of WORKER_COUNTS) assert.ok(chiSquare(ids(), n) < chiSquareCritical(n - 1), `n=${n}`);
  });

  it('spreads 128-bit IDs with a time-based upper half and a counter uniformly', () => {
    // X-Ray style: upper 32 bits are epoch seconds, so the lower 64 must carry all the entropy.
    function* ids(): Generator<string> {
      for (let i = 0; i < 60_000; i++) yield '5f3e2a1b' + 'deadbeef' + hex16(i * 977);
    }
    for (const n of WORKER_COUNTS) assert.ok(chiSquare(ids(), n) < chiSquareCritical(n - 1), `n=${n}`);
  });

  it('spreads random IDs uniformly', () => {
    const rnd = createPrng(3);
    const list = Array.from({ length: 60_000 }, () => rnd.hex(rnd.chance(0.5) ? 16 : 32));
    for (const n of WORKER_COUNTS) assert.ok(chiSquare(list, n) < chiSquareCritical(n - 1), `n=${n}`);
  });

  it('avalanches: flipping any bit of the lower 64 flips each hash bit about half the time', () => {
    const rnd = createPrng(4);
    const samples = 400;
    const digits = '0123456789abcdef';
    for (let bit = 0; bit < 64; bit++) {
      const flips = new Array<number>(32).fill(0);
      const pos = 15 - (bit >> 2);
      for (let s = 0; s < samples; s++) {
        const id = rnd.hex(16);
        const d = Number.parseInt(id[pos] as string, 16) ^ (1 << (bit & 3));
        const flipped = id.slice(0, pos) + digits[d] + id.slice(pos + 1);
        const x = (traceHash(id) ^ traceHash(flipped)) >>> 0;
        for (let o = 0; o < 32; o++) if ((x >>> o) & 1) flips[o] = (flips[o] as number) + 1;
      }
      for (let o = 0; o < 32; o++) {
        const p = (flips[o] as number) / samples;
        assert.ok(p > 0.38 && p < 0.62, `input bit ${bit} → output bit ${o}: p=${p}`);
      }
    }
  });
});
