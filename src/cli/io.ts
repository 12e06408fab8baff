/** Small CLI plumbing shared by subcommands: options through the one schema, whole-input reads, exit codes. */
import { readFile } from 'node:fs/promises';
import { TracefoldError } from '../../core/errors.js';
import { loadConfig } from '../config/load.js';
import type { Command, Config, ConfigFor } from '../config/schema.js';
import { createLogger, type Logger } from '../telemetry/logger.js';

export interface CliLoaded<C extends Command> {
  readonly config: ConfigFor<C>;
  /** Positional arguments, already checked against the command's bounds. */
  readonly args: readonly string[];
  readonly warnings: readonly string[];
  readonly configFile: string | undefined;
  /** Logger set by log.level and log.pretty; the load's warnings are already logged on it. */
  readonly log: Logger;
}

/**
 * Every command's flags, environment and config file, parsed by the option schema (src/config):
 * `--help` printed from it (exit 0), or every error at once on stderr (exit 2).
 */
export function loadCli<C extends Command>(command: C, argv: readonly string[]): CliLoaded<C> | { readonly exit: number } {
  const result = loadConfig({ command, argv, env: process.env });
  if (result.ok) {
    // Every command's config has the shared options; ConfigFor<C> only adds the command's own section.
    const { log: logging } = result.config as unknown as Config;
    const log = createLogger(logging.level, { pretty: logging.pretty });
    for (const w of result.warnings) log.warn(w);
    return { ...result, log };
  }
  if (result.help !== undefined) {
    process.stdout.write(result.help);
    return { exit: 0 };
  }
  for (const e of result.errors) process.stderr.write(`tracefold ${command}: ${e}\n`);
  process.stderr.write(`(see \`tracefold ${command} --help\`)\n`);
  return { exit: 2 };
}

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
