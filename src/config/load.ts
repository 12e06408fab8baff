/**
 * Loads the configuration of one subcommand from (lowest to highest precedence) defaults, the YAML
 * file, the environment and the command line, and validates all of it before anything touches the
 * network. Every problem is reported in one pass: a user fixing a config file should not have to
 * run the program once per mistake.
 *
 * Pure apart from reading the config file: the caller passes argv, env and cwd, so tests need no
 * process state. The layers live in their own modules: argv.ts, env.ts, file.ts (sources),
 * merge.ts (parse and merge), rules.ts (across options), derive.ts (computed defaults, the tree),
 * redact.ts (what may be printed).
 */
import { resolve } from 'node:path';
import { parseArgv } from './argv.js';
import { applyReplay, buildTree, computeDefaults, deepFreeze } from './derive.js';
import { type Env, readEnv } from './env.js';
import { readFile } from './file.js';
import { helpFor } from './help.js';
import { merge, Values } from './merge.js';
import { scrub, secretArgv, secretEnvValues, secretValues } from './redact.js';
import { checkRules } from './rules.js';
import {
  appliesTo,
  COMMAND_INFO,
  CONFIG_ENV,
  type Command,
  type ConfigFor,
  envName,
  flagNames,
  KEYS,
  type Key,
  optionDef,
} from './schema.js';
import { describe, type Entry, Report } from './sources.js';

export { redactConfig } from './redact.js';

export interface LoadInput<C extends Command> {
  readonly command: C;
  /** Arguments after the subcommand name. */
  readonly argv: readonly string[];
  readonly env: Env;
  /** Base of relative paths given by flags or environment; defaults to process.cwd(). */
  readonly cwd?: string;
}

export type LoadResult<Cfg> =
  | {
      readonly ok: true;
      readonly config: Cfg;
      /** Positional arguments (files) for the commands that take them. */
      readonly args: readonly string[];
      /** Problems that do not stop the command (ignored Zipkin variables, overridden values); log them. */
      readonly warnings: readonly string[];
      /** The YAML file read, if any (absolute). */
      readonly configFile: string | undefined;
    }
  | { readonly ok: false; readonly errors: readonly string[]; readonly help?: undefined }
  /** `--help`/`-h` was given: print `help` to stdout and exit 0, whatever else argv held. */
  | { readonly ok: false; readonly errors: readonly []; readonly help: string };

/** Positional arguments against the command's bounds, reported with every other problem. */
function checkArgs(command: Command, args: readonly string[], report: Report): void {
  const info = COMMAND_INFO[command];
  const name = info.argName ?? 'argument';
  if (args.length > 0 && !info.takesArgs) {
    report.error(`tracefold ${command} takes no arguments, got ${args.map((a) => JSON.stringify(a)).join(' ')}`);
  } else if (info.maxArgs !== undefined && args.length > info.maxArgs) {
    report.error(`tracefold ${command} takes at most ${info.maxArgs} ${name}, got ${args.map((a) => JSON.stringify(a)).join(' ')}`);
  } else if (info.minArgs !== undefined && args.length < info.minArgs) {
    report.error(`tracefold ${command} needs at least ${info.minArgs} ${name}`);
  }
}

export function loadConfig<C extends Command>(input: LoadInput<C>): LoadResult<ConfigFor<C>> {
  const { command, env } = input;
  const cwd = input.cwd ?? process.cwd();
  const report = new Report();

  const argv = parseArgv(command, input.argv, report);
  if (argv.help) return { ok: false, errors: [], help: helpFor(command) };
  checkArgs(command, argv.args, report);

  const configPath = argv.configFile ?? (env[CONFIG_ENV] === '' ? undefined : env[CONFIG_ENV]);
  const configFile = configPath === undefined ? undefined : resolve(cwd, configPath);
  const fileEntries = configFile === undefined ? new Map<Key, Entry>() : readFile(configFile, report);
  const envEntries = readEnv(command, env, report);

  const values = new Values();
  for (const key of KEYS) merge(key, [fileEntries.get(key), envEntries.get(key), argv.flags.get(key)], cwd, report, values);

  for (const key of KEYS) {
    const def = optionDef(key);
    if (def.required === true && appliesTo(key, command) && !values.has(key) && !values.failed.has(key)) {
      const how = [...flagNames(key, command).map((f) => `--${f}`), envName(key)].join(', ');
      report.error(`${key} is required for tracefold ${command} (${how}, or ${key} in the config file)`);
    }
  }
  computeDefaults(values);
  checkRules(command, values, report);

  const streams = values.get('kafka.streams');
  if (streams !== undefined && appliesTo('kafka.streams', command)) {
    report.warn(
      `kafka.streams=${streams} (${describe(values.source('kafka.streams'))}) is ignored: tracefold's parallelism is set by workers (${values.get('workers')})`,
    );
  }
  if (values.source('es.password').kind === 'flag') {
    report.warn('es.password was given as a flag, which other users of this host can read in the process list; prefer ES_PASSWORD');
  }

  // Messages quote values and source text; none may carry a secret, whichever layer it came from.
  const secrets = new Set([...secretValues([fileEntries, envEntries, argv.flags]), ...secretEnvValues(env), ...secretArgv(input.argv)]);
  const errors = report.errors.map((e) => scrub(e, secrets));
  const warnings = report.warnings.map((w) => scrub(w, secrets));
  if (errors.length > 0) return { ok: false, errors };
  if (command === 'replay') applyReplay(values);
  // The one cast from the dynamic table to the derived type: buildTree emits exactly the schema's keys,
  // each parsed by its own type (Values.get), and drops `replay` for the commands whose type lacks it.
  const config = deepFreeze(buildTree(values, command)) as unknown as ConfigFor<C>;
  return { ok: true, config, args: argv.args, warnings, configFile };
}
