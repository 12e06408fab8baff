/** Shared by the loader's tests (load, argv, env, file, rules): a scratch folder for YAML files and result helpers. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { type LoadResult, loadConfig } from '../../../../src/config/load.js';
import type { Command } from '../../../../src/config/schema.js';

export const dir = mkdtempSync(join(tmpdir(), 'tracefold-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** Writes a YAML file and returns its path. */
export function yaml(text: string, name = `c${++files}.yaml`): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

export type Env = Record<string, string | undefined>;

export function load<C extends Command>(command: C, argv: string[] = [], env: Env = {}) {
  return loadConfig({ command, argv, env, cwd: dir });
}

export function ok<T>(result: LoadResult<T>): { config: T; warnings: readonly string[]; args: readonly string[] } {
  assert.ok(result.ok, result.ok ? '' : `unexpected errors:\n${result.errors.join('\n')}`);
  return result;
}

export function errors(result: LoadResult<unknown>): readonly string[] {
  assert.ok(!result.ok, 'expected the load to fail');
  assert.equal(result.help, undefined);
  return result.errors;
}

export function hasError(list: readonly string[], ...patterns: RegExp[]): void {
  for (const p of patterns)
    assert.ok(
      list.some((e) => p.test(e)),
      `no error matches ${p}:\n${list.join('\n')}`,
    );
}
