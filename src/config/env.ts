/**
 * The environment layer: TRACEFOLD_<KEY> and the Zipkin server's names for the same settings, with
 * warnings for misspelt TRACEFOLD_* names and for Zipkin variables tracefold does not honour.
 */
import {
  appliesTo,
  type Command,
  envName,
  envNames,
  IGNORED_ZIPKIN_ENV,
  isSecret,
  KEYS,
  type Key,
  NON_OPTION_ENV,
  optionDef,
} from './schema.js';
import type { Entry, Report } from './sources.js';
import { didYouMean } from './suggest.js';

export type Env = Readonly<Record<string, string | undefined>>;

export function readEnv(command: Command, env: Env, report: Report): Map<Key, Entry> {
  const entries = new Map<Key, Entry>();
  const known = new Set<string>(NON_OPTION_ENV);
  for (const key of KEYS) {
    known.add(envName(key));
    if (!appliesTo(key, command)) continue;
    const def = optionDef(key);
    // Compose files often carry `NAME=` for "unset"; only options where empty means something keep it.
    const emptyIsValue = def.type.kind === 'string' && def.type.allowEmpty === true;
    let chosen: string | undefined;
    for (const name of envNames(key)) {
      const value = env[name];
      if (value === undefined || (value === '' && !emptyIsValue)) continue;
      if (chosen === undefined) {
        chosen = name;
        entries.set(key, { raw: value, source: { kind: 'env', name } });
      } else if (value !== env[chosen]) {
        const shown = isSecret(key) ? '' : `=${value}`;
        report.warn(`${name}${shown} is ignored: ${chosen} is set too and takes precedence`);
      }
    }
  }
  const optionEnv = KEYS.map(envName);
  for (const name of Object.keys(env)) {
    if (name.startsWith('TRACEFOLD_') && !known.has(name)) {
      report.warn(`${name} is not a tracefold setting and is ignored${didYouMean(name, optionEnv, '_')}`);
    }
  }
  if (command === 'ingest' || command === 'replay') {
    for (const [name, check] of Object.entries(IGNORED_ZIPKIN_ENV)) {
      const value = env[name];
      const warning = value === undefined || value === '' ? undefined : check(value);
      if (warning !== undefined) report.warn(warning);
    }
  }
  return entries;
}
