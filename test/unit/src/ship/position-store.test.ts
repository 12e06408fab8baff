import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TracefoldError } from '../../../../core/errors.js';
import { PositionStore } from '../../../../src/ship/position-store.js';

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'tf-ship-pos-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('ship PositionStore', () => {
  it('starts at 0 for unknown files and survives a restart after flush', () => {
    withDir((dir) => {
      const file = join(dir, 'pos.json');
      const a = new PositionStore(file);
      assert.equal(a.get('fp-a'), 0);
      a.acknowledge('fp-a', '/x.log', 1, 2, 100);
      a.flush();
      const b = new PositionStore(file);
      assert.equal(b.get('fp-a'), 100);
      assert.equal(b.get('fp-b'), 0);
    });
  });

  it('does not persist what was not flushed (a crash resumes from the last flushed position)', () => {
    withDir((dir) => {
      const file = join(dir, 'pos.json');
      const a = new PositionStore(file);
      a.acknowledge('fp-a', '/x.log', 1, 2, 100);
      a.flush();
      a.acknowledge('fp-a', '/x.log', 1, 2, 250);
      assert.equal(new PositionStore(file).get('fp-a'), 100);
    });
  });

  it('never moves a position backwards on acknowledge', () => {
    withDir((dir) => {
      const file = join(dir, 'pos.json');
      const s = new PositionStore(file);
      s.acknowledge('fp-a', '/x.log', 1, 2, 300);
      s.acknowledge('fp-a', '/x.log', 1, 2, 200);
      assert.equal(s.get('fp-a'), 300);
      s.flush();
      assert.equal(new PositionStore(file).get('fp-a'), 300);
    });
  });

  it('keys by fingerprint, not inode: a copy with the same content resumes at the same offset', () => {
    withDir((dir) => {
      const s = new PositionStore(join(dir, 'pos.json'));
      s.acknowledge('fp-a', '/x.log', 1, 2, 300);
      s.acknowledge('fp-a', '/x.log.1', 1, 9, 310);
      assert.equal(s.get('fp-a'), 310);
      assert.equal(s.size, 1);
    });
  });

  it('prunes the least recently moved entries beyond the bound, never a kept one', () => {
    withDir((dir) => {
      const s = new PositionStore(join(dir, 'pos.json'));
      s.acknowledge('old', '/a', 1, 1, 1, 100);
      s.acknowledge('kept', '/b', 1, 2, 1, 50);
      s.acknowledge('new', '/c', 1, 3, 1, 200);
      s.prune(new Set(['kept']), 2);
      assert.deepEqual([s.has('old'), s.has('kept'), s.has('new')], [false, true, true]);
    });
  });

  it('writes atomically: no temp file is left and the file is a complete JSON table', () => {
    withDir((dir) => {
      const file = join(dir, 'pos.json');
      const s = new PositionStore(file);
      s.acknowledge('fp-a', '/a.log', 1, 2, 10);
      s.acknowledge('fp-b', '/b.log', 1, 3, 20);
      s.flush();
      assert.equal(existsSync(`${file}.tmp`), false);
      const table = JSON.parse(readFileSync(file, 'utf8')) as unknown[];
      assert.equal(table.length, 2);
      s.forget('fp-a');
      s.flush();
      assert.equal(new PositionStore(file).get('fp-a'), 0);
      assert.equal(new PositionStore(file).get('fp-b'), 20);
    });
  });

  it('rejects a corrupt position file with a TF_CONFIG error instead of restarting from 0', () => {
    withDir((dir) => {
      const file = join(dir, 'pos.json');
      writeFileSync(file, '{not json');
      assert.throws(
        () => new PositionStore(file),
        (e: unknown) => e instanceof TracefoldError && e.code === 'TF_CONFIG',
      );
      writeFileSync(file, '[{"id":"fp-a","dev":1,"ino":2,"offset":-5}]');
      assert.throws(
        () => new PositionStore(file),
        (e: unknown) => e instanceof TracefoldError && e.code === 'TF_CONFIG',
      );
    });
  });
});
