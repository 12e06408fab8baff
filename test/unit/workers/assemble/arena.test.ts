import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DocumentArena } from '../../../../workers/assemble/arena.js';

/** A deterministic stream of numbers in [0, 1): the tests' documents and orders repeat run to run. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function doc(i: number, length: number): string {
  const head = `{"traceId":"${i.toString(16).padStart(16, '0')}","name":"`;
  return `${head}${'x'.repeat(Math.max(0, length - head.length - 2))}"}`;
}

describe('DocumentArena', () => {
  it('gives back each ASCII document exactly, across chunks, and frees its row', () => {
    const arena = new DocumentArena(8, 4096);
    const docs = [doc(1, 100), doc(2, 1000), '', doc(3, 1024), '{"a":"\\u00e9\\ud800 \\"q\\""}'];
    for (const [row, d] of docs.entries()) assert.equal(arena.put(row, d), true, `row ${row} held`);
    assert.equal(
      arena.liveBytesTotal,
      docs.reduce((n, d) => n + d.length, 0),
    );
    for (const row of [3, 0, 4, 1, 2]) {
      assert.equal(arena.has(row), true);
      assert.equal(arena.take(row), docs[row]);
      assert.equal(arena.has(row), false, 'taken once');
    }
    assert.equal(arena.liveBytesTotal, 0);
  });

  it('refuses what it cannot give back as the same string: characters above U+007F, documents over a quarter chunk', () => {
    const arena = new DocumentArena(8, 4096);
    for (const [row, d] of ['{"name":"é"}', '{"name":"日本"}', '{"name":"😀"}', 'a\ud800b', 'x'.repeat(1025)].entries()) {
      assert.equal(arena.put(row, d), false, JSON.stringify(d.slice(0, 20)));
      assert.equal(arena.has(row), false);
    }
    assert.equal(arena.liveBytesTotal, 0);
    // A refused document leaves no bytes behind: the next one is still read back exactly.
    assert.equal(arena.put(5, 'ascii after'), true);
    assert.equal(arena.take(5), 'ascii after');
  });

  it('grows its row columns and keeps what the rows held', () => {
    const arena = new DocumentArena(2, 4096);
    arena.put(0, 'zero');
    arena.put(1, 'one');
    arena.grow(8);
    arena.put(7, 'seven');
    assert.equal(arena.has(5), false, 'a new row holds nothing');
    assert.deepEqual([arena.take(0), arena.take(1), arena.take(7)], ['zero', 'one', 'seven']);
  });

  it('reuses emptied chunks: a steady stream stays within a few chunks', () => {
    const chunk = 4096;
    const arena = new DocumentArena(1024, chunk, 2);
    let most = 0;
    // Each document waits for the next 20 to arrive, as spans wait for their trace's quiet window.
    for (let i = 0; i < 5000; i++) {
      arena.put(i % 1024, doc(i, 200));
      if (i >= 20) assert.equal(arena.take((i - 20) % 1024), doc(i - 20, 200));
      most = Math.max(most, arena.chunkBytesTotal);
    }
    assert.ok(most <= 5 * chunk, `at most ${most / chunk} chunks for ≈ 4 KiB live`);
  });

  it('keeps at most spareChunks emptied chunks, and never more chunks than were in use at once', () => {
    const chunk = 4096;
    for (const spares of [0, 4, 1000]) {
      const arena = new DocumentArena(8192, chunk, spares);
      // A burst of about 100 chunks, then all of it leaves, then a second, smaller burst.
      for (let row = 0; row < 4000; row++) arena.put(row, doc(row, 100));
      const peak = arena.chunkBytesTotal / chunk;
      assert.ok(peak >= 95);
      for (let row = 0; row < 4000; row++) arena.take(row);
      const left = arena.chunkBytesTotal / chunk;
      assert.equal(left, 1 + Math.min(spares, peak - 1), `spareChunks ${spares}: the current chunk and its spares`);
      for (let row = 4000; row < 6000; row++) arena.put(row, doc(row, 100));
      assert.ok(arena.chunkBytesTotal / chunk <= peak, 'the second burst takes the spares before allocating');
      for (let row = 4000; row < 6000; row++) arena.take(row);
    }
  });

  it('moves documents out of chunks that long waiters pin, bounding chunks to about twice the live bytes', () => {
    const chunk = 4096;
    let capacity = 64;
    const arena = new DocumentArena(capacity, chunk, 0);
    const random = lcg(7);
    const live = new Map<number, string>();
    const shortRows: number[] = [];
    let liveBytes = 0;
    let most = 0;
    // One document in ten waits to the end (a long trace); the others leave soon after arriving, in
    // a shuffled order. Without compaction nearly every chunk would stay pinned by a long waiter.
    for (let row = 0; row < 20_000; row++) {
      if (row === capacity) {
        capacity *= 2;
        arena.grow(capacity);
      }
      const d = doc(row, 80 + Math.floor(random() * 300));
      assert.equal(arena.put(row, d), true);
      live.set(row, d);
      liveBytes += d.length;
      if (row % 10 !== 0) shortRows.push(row);
      if (shortRows.length > 30) {
        const at = Math.floor(random() * shortRows.length);
        const victim = shortRows[at] as number;
        shortRows[at] = shortRows[shortRows.length - 1] as number;
        shortRows.pop();
        assert.equal(arena.take(victim), live.get(victim));
        liveBytes -= (live.get(victim) as string).length;
        live.delete(victim);
      }
      assert.equal(arena.liveBytesTotal, liveBytes);
      most = Math.max(most, arena.chunkBytesTotal - (2.3 * liveBytes + 6 * chunk));
    }
    assert.ok(liveBytes > 100 * chunk, 'the long waiters alone fill many chunks');
    assert.ok(most <= 0, `chunks exceeded 2.3 × live + 6 chunks by ${most} B`);
    for (const [row, d] of live) assert.equal(arena.take(row), d, `row ${row} after compactions`);
    assert.equal(arena.liveBytesTotal, 0);
  });
});
