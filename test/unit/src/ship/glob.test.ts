import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { TracefoldError } from '../../../../core/errors.js';
import { checkGlobs, expandGlob } from '../../../../src/ship/glob.js';

const dir = mkdtempSync(join(tmpdir(), 'tf-glob-'));
after(() => rmSync(dir, { recursive: true, force: true }));
for (const f of ['a/app.log', 'a/app.log.1', 'a/other.txt', 'a/.hidden.log', 'b/app.log', 'b/x.log']) {
  mkdirSync(join(dir, f, '..'), { recursive: true });
  writeFileSync(join(dir, f), '');
}

describe('ship globs', () => {
  it('matches *, ? and [...] per segment, regular files only, no dot files unless asked', () => {
    assert.deepEqual(expandGlob(`${dir}/a/app.log*`), [join(dir, 'a/app.log'), join(dir, 'a/app.log.1')]);
    assert.deepEqual(expandGlob(`${dir}/*/app.log`), [join(dir, 'a/app.log'), join(dir, 'b/app.log')]);
    assert.deepEqual(expandGlob(`${dir}/[b]/?.log`), [join(dir, 'b/x.log')]);
    assert.deepEqual(expandGlob(`${dir}/a/*.log`), [join(dir, 'a/app.log')]);
    assert.deepEqual(expandGlob(`${dir}/a/.*.log`), [join(dir, 'a/.hidden.log')]);
    assert.deepEqual(expandGlob(`${dir}/*`), []);
    assert.deepEqual(expandGlob('app.log', join(dir, 'a')), [join(dir, 'a/app.log')]);
  });

  it('start-up check: a missing base directory or a directory given as a file is a TF_INPUT error; no match yet is fine', () => {
    checkGlobs([`${dir}/a/none*.log`], () => undefined);
    assert.throws(
      () => checkGlobs([`${dir}/missing/*.log`, `${dir}/a`], () => undefined),
      (e: unknown) => e instanceof TracefoldError && e.code === 'TF_INPUT' && /missing/.test(e.message) && /is a directory/.test(e.message),
    );
    assert.throws(
      () =>
        checkGlobs([`${dir}/a/*.log`], () => {
          throw Object.assign(new Error('denied'), { code: 'EACCES' });
        }),
      (e: unknown) => e instanceof TracefoldError && /EACCES/.test(e.message),
    );
  });
});
