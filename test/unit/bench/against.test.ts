import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseVariant, parseWorkers, report, roundOrder } from '../../../bench/against.js';

describe('bench against (this checkout against another, paired per round)', () => {
  it('reads a variant as a label and its flags', () => {
    assert.deepEqual(parseVariant('links off=--no-dependencies-enabled  --workers 2', '/r'), {
      label: 'links off',
      root: '/r',
      flags: ['--no-dependencies-enabled', '--workers', '2'],
    });
    assert.throws(() => parseVariant('--no-dependencies-enabled', '/r'), /LABEL=FLAGS/);
    assert.throws(() => parseVariant('=--x', '/r'), /LABEL=FLAGS/);
  });

  it('reads worker counts once each and rejects what is not a count', () => {
    assert.deepEqual(parseWorkers('1,2,1'), [1, 2]);
    assert.deepEqual(parseWorkers(' 2 '), [2]);
    for (const bad of ['0', '1,x', '1.5', '', '65']) assert.throws(() => parseWorkers(bad), /--workers/, bad);
  });

  it('alternates the order of the sides from round to round', () => {
    assert.deepEqual(roundOrder(['a', 'b', 'c'], 0), ['a', 'b', 'c']);
    assert.deepEqual(roundOrder(['a', 'b', 'c'], 1), ['c', 'b', 'a']);
    assert.deepEqual(roundOrder(['a', 'b', 'c'], 2), ['a', 'b', 'c']);
  });

  it('takes each ratio within its round, not of the medians', () => {
    // Round by round the new side is 1.30×, 1.20× and 0.90× the baseline: median 1.20×; the medians' ratio would be 130k / 100k = 1.30×.
    const table = report(1, [
      { label: 'baseline', spansPerSec: [100_000, 50_000, 200_000], cpuMicrosPerSpan: [8, 9, 7] },
      { label: 'this checkout', spansPerSec: [130_000, 60_000, 180_000], cpuMicrosPerSpan: [7, 8, 6.5] },
    ]);
    const rows = table.split('\n');
    assert.equal(rows[0], '1 worker(s)');
    assert.match(rows[4] as string, /^\| baseline \| 100k \(50\.0k–200k\) \| 8\.00 µs \(7\.00 µs–9\.00 µs\) \| — \|$/);
    assert.match(
      rows[5] as string,
      /^\| this checkout \| 130k \(60\.0k–180k\) \| 7\.00 µs \(6\.50 µs–8\.00 µs\) \| 1\.20× \(0\.90×–1\.30×\) \|$/,
    );
  });
});
