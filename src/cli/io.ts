/** Small CLI plumbing shared by subcommands: whole-input reads and argument parsing with clear errors. */
import { readFile } from 'node:fs/promises';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { TracefoldError } from '../../core/errors.js';

/** Reads FILE, or standard input for `-` / no argument. */
export async function readInput(path: string | undefined): Promise<Buffer> {
  if (path === undefined || path === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }
  try {
    return await readFile(path);
  } catch (err) {
    throw new TracefoldError('TF_INPUT', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, strict, with its errors turned into one-line usage errors. */
export function parseCommandArgs<O extends Options>(argv: string[], options: O, command: string) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new TracefoldError('TF_USAGE', `${command}: ${(err as Error).message} (see \`tracefold ${command} --help\`)`);
  }
}

/** Runs a subcommand body, mapping errors to one line on stderr and exit code 2. */
export async function runCli(body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    const { formatError } = await import('../../core/errors.js');
    process.stderr.write(`${formatError(err)}\n`);
    return 2;
  }
}
