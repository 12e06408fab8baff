import assert from 'node:assert/strict';
import { appendFileSync, closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readLines } from '../../../../src/ship/line-reader.js';

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

describe('ship readLines', () => {
  it('returns complete lines with resume offsets and leaves a partial line for the next read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tf-ship-lines-'));
    const path = join(dir, 'a.log');
    try {
      writeFileSync(path, 'one\ntwo\nthr');
      const fd = openSync(path, 'r');
      try {
        const first = readLines(fd, 0, 1024);
        assert.deepEqual(
          first.map((l) => [text(l.bytes), l.start, l.end]),
          [
            ['one', 0, 4],
            ['two', 4, 8],
          ],
        );
        appendFileSync(path, 'ee\n');
        const next = readLines(fd, 8, 1024);
        assert.deepEqual(
          next.map((l) => [text(l.bytes), l.start, l.end]),
          [['three', 8, 14]],
        );
        assert.deepEqual(readLines(fd, 14, 1024), []);
      } finally {
        closeSync(fd);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('cuts a line longer than the read bound and flags it oversized instead of stalling', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tf-ship-lines-'));
    const path = join(dir, 'b.log');
    try {
      writeFileSync(path, `${'x'.repeat(20)}\nok\n`);
      const fd = openSync(path, 'r');
      try {
        const [cut] = readLines(fd, 0, 8);
        assert.ok(cut?.oversized);
        assert.equal(cut.end, 8);
        const small = readLines(fd, 21, 8);
        assert.deepEqual(
          small.map((l) => [text(l.bytes), l.oversized]),
          [['ok', false]],
        );
      } finally {
        closeSync(fd);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
