import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FileSink } from '../../../../workers/sink/file.js';
import { until } from '../../../helpers/wait.js';

const retry = { initialMs: 5, maxMs: 10, maxAttempts: 3 };

describe('FileSink', () => {
  it('appends the lines in order and resolves after the write', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tf-file-sink-'));
    try {
      const path = join(dir, 'out.ndjson');
      const resolved: number[] = [];
      const sink = new FileSink<null>(
        { filePath: path, bulkMaxBytes: 10, retry },
        {
          onResolved: (b, c) => {
            b.forEach((id, i) => {
              resolved.push(id, c[i] ?? 0);
            });
          },
          onDeadLetter: () => assert.fail('no dead letters'),
        },
      );
      for (let i = 0; i < 5; i++) sink.write({ lines: `{"i":${i}}\n{}\n`, batchId: i, units: 1, ref: null });
      await sink.drain();
      assert.equal(await readFile(path, 'utf8'), [0, 1, 2, 3, 4].map((i) => `{"i":${i}}\n{}\n`).join(''));
      assert.deepEqual(resolved, [0, 1, 1, 1, 2, 1, 3, 1, 4, 1]);
      await sink.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('retries a failing write and reports failingSince meanwhile', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tf-file-sink-'));
    try {
      // A directory that does not exist yet: open() fails until it is created.
      const path = join(dir, 'later', 'out.ndjson');
      const retries: string[] = [];
      const sink = new FileSink<null>(
        { filePath: path, bulkMaxBytes: 1000, retry },
        {
          onResolved: () => {},
          onDeadLetter: () => assert.fail('no dead letters'),
          onRetry: (code) => retries.push(code),
        },
      );
      sink.write({ lines: 'x\ny\n', batchId: 1, units: 1, ref: null });
      await until('the write to fail and be retried', () => sink.failingSince !== null && retries.includes('file_ENOENT'));
      assert.notEqual(sink.failingSince, null);
      assert.ok(retries.includes('file_ENOENT'));
      const { mkdir } = await import('node:fs/promises');
      await mkdir(join(dir, 'later'));
      await sink.drain();
      assert.equal(sink.failingSince, null);
      assert.equal(await readFile(path, 'utf8'), 'x\ny\n');
      await sink.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
