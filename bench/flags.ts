/**
 * The flag checks the bench scripts (`against.ts`, `profile.ts`) share: each adds its error to a
 * list, so a script reports every bad flag at once, then `usageExit` says them in one line each
 * with the usage and exits 2 (no stack).
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { ENCODERS, isEncoding } from '../core/codec/formats.js';
import type { ZipkinEncoding } from '../core/model/span.js';

/** `value` as an integer ≥ `min`; meaningful only if no error was added. */
export function integerFlag(errors: string[], name: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) errors.push(`--${name} wants an integer ≥ ${min}, got ${JSON.stringify(value)}`);
  return n;
}

/** `value` as a Zipkin encoding; meaningful only if no error was added. */
export function encodingFlag(errors: string[], value: string): ZipkinEncoding {
  if (!isEncoding(value)) errors.push(`--encoding: one of ${Object.keys(ENCODERS).join(', ')}, got ${JSON.stringify(value)}`);
  return value as ZipkinEncoding;
}

/** The errors, one line each under the script's name, then the usage; exit 2. */
export function usageExit(script: string, errors: readonly string[], usage: string): never {
  process.stderr.write(`${errors.map((e) => `${script}: ${e}`).join('\n')}\n\n${usage}`);
  process.exit(2);
}

/** `process.argv`'s flags by `options`; an unknown or malformed flag goes to `usageExit`. */
export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(
  script: string,
  options: T,
  usage: string,
): ReturnType<typeof parseArgs<{ options: T }>>['values'] {
  try {
    return parseArgs({ options }).values;
  } catch (err) {
    return usageExit(script, [(err as Error).message], usage);
  }
}
