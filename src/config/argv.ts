/**
 * The command-line layer: turns the words after `tracefold <command>` into raw entries per option,
 * the `--config` path, `--help`, and positional arguments. Flags come from the option table only;
 * a command has no flag of its own outside it.
 */
import { parseMap, parseMapEntry } from './parse.js';
import { appliesTo, COMMANDS, CONFIG_FLAG, type Command, flagNames, KEYS, type Key, optionDef, shortFlag } from './schema.js';
import type { Entry, Report, Source } from './sources.js';
import { suggest } from './suggest.js';

type FlagRole = 'value' | 'true' | 'false' | 'entry';

interface FlagTarget {
  readonly key: Key;
  readonly role: FlagRole;
}

/** Flag name (no dashes) → option, for one command's options. */
function flagTable(command: Command): Map<string, FlagTarget> {
  const table = new Map<string, FlagTarget>();
  for (const key of KEYS) {
    if (!appliesTo(key, command)) continue;
    const def = optionDef(key);
    for (const name of flagNames(key, command)) {
      if (def.type.kind === 'bool') {
        table.set(name, { key, role: 'true' });
        table.set(`no-${name}`, { key, role: 'false' });
      } else {
        table.set(name, { key, role: 'value' });
      }
    }
    if (def.entryFlag !== undefined) table.set(def.entryFlag, { key, role: 'entry' });
  }
  return table;
}

/** Short flag letter → option, for one command's options. */
function shortTable(command: Command): Map<string, FlagTarget> {
  const table = new Map<string, FlagTarget>();
  for (const key of KEYS) {
    const letter = shortFlag(key, command);
    if (letter !== undefined) table.set(letter, { key, role: optionDef(key).type.kind === 'bool' ? 'true' : 'value' });
  }
  return table;
}

const FLAGS = new Map(COMMANDS.map((c) => [c, flagTable(c)] as const));
const SHORTS = new Map(COMMANDS.map((c) => [c, shortTable(c)] as const));

/** Flag name → the commands that have it: a flag of another command gets a better error than "unknown". */
const ELSEWHERE = new Map<string, { role: FlagRole; commands: Command[]; keys: Set<Key> }>();
for (const command of COMMANDS) {
  for (const [name, target] of FLAGS.get(command)!) {
    const seen = ELSEWHERE.get(name) ?? { role: target.role, commands: [], keys: new Set<Key>() };
    seen.commands.push(command);
    seen.keys.add(target.key);
    ELSEWHERE.set(name, seen);
  }
}

export interface Argv {
  readonly flags: Map<Key, Entry>;
  readonly configFile: string | undefined;
  readonly help: boolean;
  readonly args: string[];
}

export function parseArgv(command: Command, argv: readonly string[], report: Report): Argv {
  const flagsOf = FLAGS.get(command)!;
  const shortsOf = SHORTS.get(command)!;
  const occurrences = new Map<Key, { name: string; role: FlagRole; text: string }[]>();
  const args: string[] = [];
  let configFile: string | undefined;
  let help = false;
  const commandFlags = [...flagsOf.keys()].map((name) => `--${name}`);
  commandFlags.push(`--${CONFIG_FLAG}`, '--help');

  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (token === '-h' || token === '--help') {
      help = true;
      continue;
    }
    if (!token.startsWith('-') || token === '-') {
      args.push(token);
      continue;
    }
    const long = token.startsWith('--');
    const eq = token.indexOf('=');
    // `-fthrift`, `-f=thrift` and `-f thrift` are one short flag with its value, as with getopt.
    const name = long ? token.slice(2, eq === -1 ? undefined : eq) : token.slice(1, 2);
    const inline: string | undefined = long
      ? eq === -1
        ? undefined
        : token.slice(eq + 1)
      : token.length > 2
        ? token.slice(token[2] === '=' ? 3 : 2)
        : undefined;
    // A value is the next token unless it looks like a flag; `--k=--v` passes one that does.
    const takeValue = (): string | undefined => {
      if (inline !== undefined) return inline;
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('-') && next !== '-' && !/^-\d/.test(next))) return undefined;
      i++;
      return next;
    };

    if ((long && name === CONFIG_FLAG) || (!long && name === 'c')) {
      const value = takeValue();
      if (value === undefined || value === '') report.error(`${token}: needs a file path`);
      else configFile = value;
      continue;
    }
    const shown = long ? `--${name}` : `-${name}`;
    const target = long ? flagsOf.get(name) : shortsOf.get(name);
    if (target === undefined) {
      const other = long ? ELSEWHERE.get(name) : undefined;
      // Another command's spelling of an option this command has (produce's --bootstrap-servers) is a
      // typo here: the nearest flag of this command is the useful answer.
      if (other !== undefined && ![...other.keys].some((k) => appliesTo(k, command))) {
        const where = other.commands.map((c) => `tracefold ${c}`);
        report.error(`--${name}: not an option of tracefold ${command} (it applies to ${where.join(', ')})`);
        // Swallow its value too, or it would be reported again as a stray argument.
        if (other.role === 'value' || other.role === 'entry') takeValue();
        continue;
      }
      const nearest = long ? suggest(`--${name}`, commandFlags, '-') : undefined;
      report.error(`${shown}: unknown option for tracefold ${command}${nearest === undefined ? '' : `; did you mean ${nearest}?`}`);
      // `--topc zipkin`: the typo most likely takes a value like its nearest flag; swallow it so the value
      // is not reported a second time as a stray argument.
      const role = nearest === undefined ? undefined : flagsOf.get(nearest.slice(2))?.role;
      if (role === 'value' || role === 'entry') takeValue();
      continue;
    }
    let text: string | undefined;
    if (target.role === 'true') text = inline ?? 'true';
    else if (target.role === 'false') {
      if (inline !== undefined) {
        report.error(`--${name}: takes no value (use --${name.slice(3)}=${inline})`);
        continue;
      }
      text = 'false';
    } else {
      text = takeValue();
      if (text === undefined) {
        report.error(`${shown}: needs a value`);
        continue;
      }
    }
    const list = occurrences.get(target.key) ?? [];
    list.push({ name: shown, role: target.role, text });
    occurrences.set(target.key, list);
  }

  return { flags: combine(occurrences, report), configFile, help, args };
}

/** Several occurrences of one option's flags become one entry: lists add, maps merge, others: last wins. */
function combine(occurrences: Map<Key, { name: string; role: FlagRole; text: string }[]>, report: Report): Map<Key, Entry> {
  const flags = new Map<Key, Entry>();
  for (const [key, occ] of occurrences) {
    const last = occ[occ.length - 1]!;
    const source: Source = { kind: 'flag', name: last.name };
    const kind = optionDef(key).type.kind;
    if (kind === 'list') {
      // Repeating a list flag adds to the list: `--topic a --topic b` is `--topic a,b`.
      flags.set(key, { raw: occ.map((o) => o.text), source });
    } else if (kind === 'map') {
      // Map flags merge in order; an entry flag (`--kafka-property k=v`) is one pair whose value may hold commas.
      const merged: Record<string, string> = {};
      let bad = false;
      for (const o of occ) {
        const parsed = o.role === 'entry' ? parseMapEntry(o.text) : parseMap(o.text);
        if (!parsed.ok) {
          report.error(`${key}: ${parsed.problem} (flag ${o.name})`);
          bad = true;
        } else if (o.role === 'entry') {
          const [k, v] = parsed.value as readonly [string, string];
          merged[k] = v;
        } else {
          Object.assign(merged, parsed.value);
        }
      }
      if (!bad) flags.set(key, { raw: merged, source });
    } else {
      // Other flags: the last occurrence wins, so a script's defaults can be overridden by appending.
      flags.set(key, { raw: last.text, source });
    }
  }
  return flags;
}
