import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { classify, type PathStat } from '../../../../src/ship/rotation.js';

function statOf(path: string): PathStat | undefined {
  try {
    const s = statSync(path);
    return { dev: s.dev, ino: s.ino, size: s.size };
  } catch {
    return undefined;
  }
}

describe('ship rotation classify', () => {
  it('sees growth, rename rotation, copy-truncate and disappearance on real files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tf-ship-rot-'));
    try {
      const path = join(dir, 'app.log');
      writeFileSync(path, 'line1\n');
      const first = statOf(path);
      assert.ok(first);
      const followed = { dev: first.dev, ino: first.ino, offset: first.size };
      assert.equal(classify(followed, statOf(path)), 'unchanged');
      appendFileSync(path, 'line2\n');
      assert.equal(classify(followed, statOf(path)), 'grown');
      // Copy-truncate: same inode, shorter than what was read.
      followed.offset = 12;
      truncateSync(path, 0);
      assert.equal(classify(followed, statOf(path)), 'truncated');
      // Truncated then re-written past the old offset is still seen as grown only if bigger: the
      // tailer checks between writes, so a truncate to 0 followed by a short write is 'truncated'.
      appendFileSync(path, 'x\n');
      assert.equal(classify(followed, statOf(path)), 'truncated');
      // Rename rotation: the path names a new inode.
      renameSync(path, `${path}.1`);
      assert.equal(classify(followed, statOf(path)), 'gone');
      writeFileSync(path, 'new\n');
      assert.equal(classify(followed, statOf(path)), 'rotated');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('treats another device with the same inode as another file', () => {
    assert.equal(classify({ dev: 1, ino: 7, offset: 0 }, { dev: 2, ino: 7, size: 0 }), 'rotated');
  });
});
