import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inflateSync, crc32 as zlibCrc32 } from 'node:zlib';
import { niceScale } from '../../../bench/chart.js';
import { Canvas, crc32, encodePng } from '../../../bench/png.js';

test('crc32 matches zlib', () => {
  for (const s of ['', 'IEND', 'The quick brown fox jumps over the lazy dog', 'x'.repeat(1000)]) {
    assert.equal(crc32(Buffer.from(s)), zlibCrc32(Buffer.from(s)), JSON.stringify(s.slice(0, 20)));
  }
  assert.equal(crc32(Buffer.from('IEND')), 0xae426082);
});

test('encodePng writes signature, IHDR and an IDAT that inflates to filtered rows', () => {
  const png = encodePng(2, 1, new Uint8Array([255, 0, 0, 0, 0, 255]));
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.equal(png.toString('latin1', 12, 16), 'IHDR');
  assert.equal(png.readUInt32BE(16), 2);
  assert.equal(png.readUInt32BE(20), 1);
  const idatLen = png.readUInt32BE(33);
  assert.equal(png.toString('latin1', 37, 41), 'IDAT');
  const raw = inflateSync(png.subarray(41, 41 + idatLen));
  assert.deepEqual([...raw], [0, 255, 0, 0, 0, 0, 255]);
  assert.equal(png.toString('latin1', png.length - 8, png.length - 4), 'IEND');
  assert.throws(() => encodePng(2, 2, new Uint8Array(3)), RangeError);
});

test('canvas clips drawing to its bounds', () => {
  const c = new Canvas(4, 4);
  c.rect(-2, -2, 3, 3, [0, 0, 0]);
  assert.deepEqual([...c.pixels.subarray(0, 3)], [0, 0, 0]);
  assert.deepEqual([...c.pixels.subarray(3, 6)], [255, 255, 255]);
  c.text(100, 100, 'OFF', [0, 0, 0]);
  c.line(-10, 0, 10, 0, [1, 2, 3]);
  assert.deepEqual([...c.pixels.subarray(9, 12)], [1, 2, 3]);
});

test('niceScale picks 1/2/5 steps covering the maximum', () => {
  assert.deepEqual(niceScale(87_000), { top: 100_000, step: 20_000 });
  assert.deepEqual(niceScale(4.2), { top: 5, step: 1 });
  assert.deepEqual(niceScale(0), { top: 1, step: 0.2 });
});
