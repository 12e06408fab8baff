/**
 * `--help` text, generated from the option table so it can never list an option that does not exist
 * or miss one that does.
 */
import { formatBytes, formatDurationMs } from './parse.js';
import {
  appliesTo,
  COMMAND_INFO,
  COMMANDS,
  CONFIG_ENV,
  CONFIG_FLAG,
  type Command,
  envNames,
  flagNames,
  isSecret,
  KEYS,
  type Key,
  type OptionDef,
  optionDef,
  SECTION_TITLES,
  sectionOf,
  shortFlag,
} from './schema.js';

export const HELP_WIDTH = 100;
const DETAIL_INDENT = '      ';

/** Greedy word wrap; a word longer than the line (a URL) gets a line of its own rather than being cut. */
export function wrap(text: string, width: number, indent: string, firstIndent = indent): string[] {
  const lines: string[] = [];
  let line = firstIndent;
  let empty = true;
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (!empty && line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent;
      empty = true;
    }
    line += (empty ? '' : ' ') + word;
    empty = false;
  }
  if (!empty) lines.push(line);
  return lines;
}

function placeholder(def: OptionDef): string {
  const t = def.type;
  switch (t.kind) {
    case 'string':
      return `<${t.placeholder ?? 'value'}>`;
    case 'int':
      return t.max === Number.MAX_SAFE_INTEGER ? '<n>' : `<${t.min}..${t.max}>`;
    case 'number':
      return `<${t.min}..${t.max}>`;
    case 'bool':
      return '';
    case 'duration':
      return '<duration>';
    case 'bytes':
      return '<size>';
    case 'list':
      return `<${t.placeholder ?? (t.item === 'int' ? 'n,...' : 'value,...')}>`;
    case 'map':
      return '<k=v,...>';
    case 'enum':
      return `<${t.values.join('|')}>`;
    case 'position':
      return `<offset|time|${t.keyword}>`;
    case 'records':
      return `<json: [${t.placeholder ?? 'record'},...]>`;
  }
}

function flagsText(key: Key, command: Command): string {
  const def = optionDef(key);
  const letter = shortFlag(key, command);
  const short = letter === undefined ? [] : [`-${letter}`];
  if (def.type.kind === 'bool') return [...short, ...flagNames(key, command).map((f) => `--[no-]${f}`)].join(', ');
  const names = [...short, ...flagNames(key, command).map((f) => `--${f}`)].join(', ');
  const entry = def.entryFlag === undefined ? '' : `, --${def.entryFlag} <k=v> (repeatable)`;
  return `${names} ${placeholder(def)}${entry}`;
}

/** The default as a user would type it, or why there is none. Secrets never show a value. */
export function defaultText(key: Key): string | undefined {
  const def = optionDef(key);
  if (def.required === true) return 'required';
  if (def.computed !== undefined) return def.computed;
  const value = def.default;
  if (value === undefined) return undefined;
  if (isSecret(key)) return undefined;
  switch (def.type.kind) {
    case 'duration':
      return formatDurationMs(value as number);
    case 'bytes':
      return formatBytes(value as number);
    case 'list': {
      const items = value as readonly unknown[];
      return items.length === 0 ? '(none)' : items.join(',');
    }
    case 'map': {
      const entries = Object.entries(value as Record<string, string>);
      return entries.length === 0 ? '(none)' : entries.map(([k, v]) => `${k}=${v}`).join(',');
    }
    case 'records': {
      const items = value as readonly unknown[];
      return items.length === 0 ? '(none)' : JSON.stringify(items);
    }
    case 'string':
      return value === '' ? '""' : String(value);
    default:
      return String(value);
  }
}

function optionText(key: Key, command: Command): string[] {
  const def = optionDef(key);
  const lines = wrap(flagsText(key, command), HELP_WIDTH, `${DETAIL_INDENT}  `, '  ');
  const description = def.note === undefined ? def.description : `${def.description} ${def.note}`;
  lines.push(...wrap(description, HELP_WIDTH, DETAIL_INDENT));
  const dflt = defaultText(key);
  const facts = [
    dflt === 'required' ? 'required' : dflt === undefined ? 'default: not set' : `default: ${dflt}`,
    `env: ${envNames(key).join(', ')}`,
    `file: ${key}`,
  ];
  lines.push(...joinFacts(facts));
  return lines;
}

/** Facts on as few lines as fit, never breaking one fact across lines (an env list is read as a unit). */
function joinFacts(facts: readonly string[]): string[] {
  const lines: string[] = [];
  let line = '';
  for (const fact of facts) {
    if (line !== '' && DETAIL_INDENT.length + line.length + 3 + fact.length > HELP_WIDTH) {
      lines.push(DETAIL_INDENT + line);
      line = '';
    }
    line = line === '' ? fact : `${line} · ${fact}`;
  }
  if (line !== '') lines.push(DETAIL_INDENT + line);
  return lines;
}

const FORMS =
  'Settings come from, lowest precedence first: defaults, the YAML file (--config; each option nested by its dotted key, ' +
  'so kafka.topic is topic under kafka:), ' +
  'environment variables (TRACEFOLD_<KEY>, and the Zipkin server names where they mean the same), flags. ' +
  'Durations: 250ms, 5s, 1m, 1h or plain milliseconds. Sizes: 512KiB, 256MiB, 1GB or plain bytes. ' +
  'Lists: a,b,c (repeat the flag to add items). Maps: k=v,k2=v2 (merged key by key across sources). ' +
  'Booleans: --flag, --no-flag or --flag=false.';

function overview(): string {
  const lines = ['Usage: tracefold <command> [options]', '', 'Commands:'];
  const width = Math.max(...COMMANDS.map((c) => c.length));
  for (const c of COMMANDS) lines.push(...wrap(COMMAND_INFO[c].summary, HELP_WIDTH, ' '.repeat(width + 4), `  ${c.padEnd(width)}  `));
  lines.push('', 'Run `tracefold <command> --help` for the options of a command.');
  return `${lines.join('\n')}\n`;
}

/** Help for one subcommand (or, without one, the list of subcommands), wrapped to 100 columns. */
export function helpFor(command?: Command): string {
  if (command === undefined) return overview();
  const info = COMMAND_INFO[command];
  const lines = [
    `Usage: tracefold ${command} ${info.usage}`,
    '',
    ...wrap(info.summary, HELP_WIDTH, ''),
    '',
    ...(info.details ?? []).flatMap((paragraph) => [...wrap(paragraph, HELP_WIDTH, ''), '']),
    ...wrap(FORMS, HELP_WIDTH, ''),
    '',
  ];
  lines.push('General:');
  lines.push(`  -c, --${CONFIG_FLAG} <file>`, ...wrap(`YAML config file. env: ${CONFIG_ENV}`, HELP_WIDTH, DETAIL_INDENT));
  lines.push('  -h, --help', `${DETAIL_INDENT}Show this help.`);

  const sections = new Map<string, Key[]>();
  for (const key of KEYS) {
    if (!appliesTo(key, command)) continue;
    const section = sectionOf(key);
    sections.set(section, [...(sections.get(section) ?? []), key]);
  }
  for (const [section, keys] of sections) {
    lines.push('', `${SECTION_TITLES[section] ?? section}:`);
    for (const key of keys) lines.push(...optionText(key, command));
  }
  return `${lines.join('\n')}\n`;
}
