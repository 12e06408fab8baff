/**
 * Loads the configuration of one subcommand from (lowest to highest precedence) defaults, the YAML
 * file, the environment and the command line, and validates all of it before anything touches the
 * network. Every problem is reported in one pass: a user fixing a config file should not have to
 * run the program once per mistake.
 *
 * Pure apart from reading the config file: the caller passes argv, env and cwd, so tests need no
 * process state.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, type YAMLMap } from 'yaml';
import { helpFor } from './help.js';
import {
  type Parsed,
  parseBool,
  parseBoundedInt,
  parseBytes,
  parseDuration,
  parseEnum,
  parseIntList,
  parseMap,
  parseMapEntry,
  parseNumber,
  parsePosition,
  parseString,
  parseStringList,
  type Raw,
} from './parse.js';
import {
  appliesTo,
  COMMAND_INFO,
  CONFIG_ENV,
  CONFIG_FLAG,
  type Command,
  type ConfigFor,
  envName,
  envNames,
  flagNames,
  IGNORED_ZIPKIN_ENV,
  KEYS,
  type Key,
  NON_OPTION_ENV,
  optionDef,
  type TypeSpec,
  type ValueAt,
} from './schema.js';
import { didYouMean, suggest } from './suggest.js';

export interface LoadInput<C extends Command> {
  readonly command: C;
  /** Arguments after the subcommand name. */
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
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

// ── Sources ──────────────────────────────────────────────────────────────────────────────────────

type Source =
  | { readonly kind: 'file'; readonly file: string; readonly line: number }
  | { readonly kind: 'env'; readonly name: string }
  | { readonly kind: 'flag'; readonly name: string }
  | { readonly kind: 'default' };

function describe(source: Source): string {
  switch (source.kind) {
    case 'file':
      return `${source.file}:${source.line}`;
    case 'env':
      return `env ${source.name}`;
    case 'flag':
      return `flag --${source.name}`;
    case 'default':
      return 'default';
  }
}

interface Entry {
  readonly raw: Raw;
  readonly source: Source;
}

/** Collects problems; the load fails at the end if there is any, never at the first. */
class Report {
  readonly errors: string[] = [];
  readonly warnings: string[] = [];
  error(message: string): void {
    this.errors.push(message);
  }
  warn(message: string): void {
    this.warnings.push(message);
  }
}

// ── Command line ─────────────────────────────────────────────────────────────────────────────────

type FlagRole = 'value' | 'true' | 'false' | 'entry';

interface FlagTarget {
  readonly key: Key;
  readonly role: FlagRole;
}

/** Flag name (no dashes) → option, for every flag of every command: flags of other commands give a better error. */
function flagTable(): Map<string, FlagTarget> {
  const table = new Map<string, FlagTarget>();
  for (const key of KEYS) {
    const def = optionDef(key);
    for (const name of flagNames(key)) {
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

const FLAGS = flagTable();

interface Argv {
  readonly flags: Map<Key, Entry>;
  readonly configFile: string | undefined;
  readonly help: boolean;
  readonly args: string[];
}

function parseArgv(command: Command, argv: readonly string[], report: Report): Argv {
  const occurrences = new Map<Key, { name: string; role: FlagRole; text: string }[]>();
  const args: string[] = [];
  let configFile: string | undefined;
  let help = false;
  const commandFlags = [...FLAGS].filter(([, t]) => appliesTo(t.key, command)).map(([name]) => `--${name}`);
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
    const eq = token.indexOf('=');
    const long = token.startsWith('--');
    const name = long ? token.slice(2, eq === -1 ? undefined : eq) : token.slice(1, eq === -1 ? undefined : eq);
    const inline: string | undefined = eq === -1 ? undefined : token.slice(eq + 1);
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
    const target = long ? FLAGS.get(name) : undefined;
    if (target === undefined) {
      const nearest = suggest(`--${name}`, commandFlags, '-');
      report.error(
        `${long ? `--${name}` : `-${name}`}: unknown option for tracefold ${command}${nearest === undefined ? '' : `; did you mean ${nearest}?`}`,
      );
      // `--topc zipkin`: the typo most likely takes a value like its nearest flag; swallow it so the value
      // is not reported a second time as a stray argument.
      const role = nearest === undefined ? undefined : FLAGS.get(nearest.slice(2))?.role;
      if (role === 'value' || role === 'entry') takeValue();
      continue;
    }
    if (!appliesTo(target.key, command)) {
      const where = optionDef(target.key).commands.map((c) => `tracefold ${c}`);
      report.error(`--${name}: not an option of tracefold ${command} (it applies to ${where.join(', ')})`);
      // Swallow its value too, or it would be reported again as a stray argument.
      if (target.role === 'value' || target.role === 'entry') takeValue();
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
        report.error(`--${name}: needs a value`);
        continue;
      }
    }
    const list = occurrences.get(target.key) ?? [];
    list.push({ name, role: target.role, text });
    occurrences.set(target.key, list);
  }

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
          report.error(`${key}: ${parsed.problem} (flag --${o.name})`);
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
  return { flags, configFile, help, args };
}

// ── Environment ──────────────────────────────────────────────────────────────────────────────────

function readEnv(command: Command, env: LoadInput<Command>['env'], report: Report): Map<Key, Entry> {
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
        const shown = def.type.kind === 'string' && def.type.secret === true ? '' : `=${value}`;
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

// ── YAML file ────────────────────────────────────────────────────────────────────────────────────

/** Dotted paths that are sections (`kafka`, …) rather than options. */
const SECTIONS = new Set(KEYS.filter((k) => k.includes('.')).map((k) => k.slice(0, k.indexOf('.'))));
const FILE_CANDIDATES = [...KEYS, ...SECTIONS];
const KEY_SET: ReadonlySet<string> = new Set(KEYS);

function isKey(path: string): path is Key {
  return KEY_SET.has(path);
}

function readFile(file: string, report: Report): Map<Key, Entry> {
  const entries = new Map<Key, Entry>();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    report.error(`${file}: cannot read the config file (${code === 'ENOENT' ? 'no such file' : (code ?? String(err))})`);
    return entries;
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) report.error(`${file}:${lineCounter.linePos(e.pos[0]).line}: invalid YAML: ${e.message.split('\n')[0]}`);
    return entries;
  }
  const lineOf = (node: unknown): number => {
    const range = (node as Node | null)?.range;
    return range === undefined || range === null ? 0 : lineCounter.linePos(range[0]).line;
  };
  const deref = (node: unknown): unknown => (isAlias(node) ? node.resolve(doc) : node);

  /** A scalar's text as written, so `password: 0123` or `index: 1e3` are not turned into numbers. */
  const scalarText = (node: unknown): string | null | undefined => {
    const n = deref(node);
    if (!isScalar(n)) return undefined;
    if (n.value === null) return null;
    return typeof n.value === 'string' ? n.value : (n.source ?? String(n.value));
  };

  const toRaw = (path: string, node: unknown, line: number): Raw | null | undefined => {
    const n = deref(node);
    if (n === null || n === undefined) return null;
    if (isScalar(n)) return scalarText(n);
    if (isSeq(n)) {
      const items: string[] = [];
      for (const item of n.items) {
        const t = scalarText(item);
        if (typeof t !== 'string') {
          report.error(`${path}: list items must be single values (${file}:${lineOf(item) || line})`);
          return undefined;
        }
        items.push(t);
      }
      return items;
    }
    if (isMap(n)) {
      const record: Record<string, string> = {};
      for (const pair of n.items) {
        const k = scalarText(pair.key);
        const v = scalarText(pair.value);
        if (typeof k !== 'string' || v === undefined) {
          report.error(`${path}: mapping values must be single values (${file}:${lineOf(pair.key) || line})`);
          return undefined;
        }
        record[k] = v ?? '';
      }
      return record;
    }
    return undefined;
  };

  const walk = (map: YAMLMap, prefix: string): void => {
    for (const pair of map.items) {
      const name = scalarText(pair.key);
      const line = lineOf(pair.key);
      if (typeof name !== 'string') {
        report.error(`${file}:${line}: keys must be plain names`);
        continue;
      }
      const path = prefix + name;
      if (name.includes('.')) {
        // One spelling per file keeps it greppable and rules out setting one option twice in two forms.
        const [section, ...rest] = path.split('.');
        report.error(`${path}: write options nested, as ${section}: { ${rest.join('.')}: … } (${file}:${line})`);
        continue;
      }
      if (isKey(path)) {
        const raw = toRaw(path, pair.value, line);
        // `key:` with no value (null) leaves the option unset: templated files often render that way.
        if (raw !== null && raw !== undefined) entries.set(path, { raw, source: { kind: 'file', file, line } });
        continue;
      }
      if (SECTIONS.has(path) && prefix === '') {
        const value = deref(pair.value);
        if (value === null || (isScalar(value) && value.value === null)) continue;
        if (isMap(value)) walk(value, `${path}.`);
        else report.error(`${path}: expected a mapping of ${path}.* options (${file}:${line})`);
        continue;
      }
      const hint = didYouMean(path, FILE_CANDIDATES, '.');
      report.error(`${path}: unknown key in ${file}:${line}${hint}`);
    }
  };

  const root = deref(doc.contents);
  if (root === null || root === undefined || (isScalar(root) && root.value === null)) return entries;
  if (!isMap(root)) {
    report.error(`${file}:${lineOf(root)}: the config file must be a mapping of options (kafka:, es:, …)`);
    return entries;
  }
  walk(root, '');
  return entries;
}

// ── Values ───────────────────────────────────────────────────────────────────────────────────────

function parseRaw(type: TypeSpec, raw: Raw): Parsed<unknown> {
  switch (type.kind) {
    case 'string':
      return parseString(raw, type.allowEmpty === true);
    case 'int':
      return parseBoundedInt(raw, type.min, type.max);
    case 'number':
      return parseNumber(raw, type.min, type.max);
    case 'bool':
      return parseBool(raw);
    case 'duration':
      return parseDuration(raw, type.min, type.max);
    case 'bytes':
      return parseBytes(raw, type.min, type.max);
    case 'list':
      return type.item === 'int'
        ? parseIntList(raw, type.minItems, type.min ?? 0, type.max ?? Number.MAX_SAFE_INTEGER)
        : parseStringList(raw, type.minItems);
    case 'map':
      return parseMap(raw);
    case 'enum':
      return parseEnum(raw, type.values);
    case 'position':
      return parsePosition(raw, type.keyword);
  }
}

/** Parsed values by key; the typed getter is safe because each value was parsed by its key's own type. */
class Values {
  readonly #values = new Map<Key, unknown>();
  readonly #sources = new Map<Key, Source>();
  /** Keys with an invalid value: rules across options skip them instead of reporting follow-on errors. */
  readonly failed = new Set<Key>();
  get<K extends Key>(key: K): ValueAt<K> {
    return this.#values.get(key) as ValueAt<K>;
  }
  set<K extends Key>(key: K, value: ValueAt<K>, source: Source): void {
    this.#values.set(key, value);
    this.#sources.set(key, source);
  }
  setUnknown(key: Key, value: unknown, source: Source): void {
    this.#values.set(key, value);
    this.#sources.set(key, source);
  }
  has(key: Key): boolean {
    return this.#values.get(key) !== undefined;
  }
  source(key: Key): Source {
    return this.#sources.get(key) ?? { kind: 'default' };
  }
  /** `key (where it came from)`, for messages about a value that is valid alone but not with others. */
  where(key: Key): string {
    const s = this.source(key);
    return s.kind === 'default' ? `${key} (default)` : `${key} (${describe(s)})`;
  }
}

function merge(key: Key, layers: readonly (Entry | undefined)[], cwd: string, report: Report, values: Values): void {
  const def = optionDef(key);
  let merged: unknown;
  let source: Source | undefined;
  for (const entry of layers) {
    if (entry === undefined) continue;
    const parsed = parseRaw(def.type, entry.raw);
    if (!parsed.ok) {
      report.error(`${key}: ${parsed.problem} (${describe(entry.source)})`);
      values.failed.add(key);
      continue;
    }
    let value = parsed.value;
    if (def.type.kind === 'string' && def.type.path === true && typeof value === 'string' && !isAbsolute(value)) {
      // Paths in the file are relative to the file, so a config can sit next to its outputs.
      value = resolve(entry.source.kind === 'file' ? dirname(entry.source.file) : cwd, value);
    }
    // Maps merge key by key (the file sets security.protocol, a flag adds one property); others replace.
    merged = def.type.kind === 'map' && merged !== undefined ? { ...(merged as object), ...(value as object) } : value;
    source = entry.source;
  }
  if (merged === undefined || source === undefined) {
    if (def.default !== undefined && !values.failed.has(key)) values.setUnknown(key, def.default, { kind: 'default' });
    return;
  }
  if (def.normalize !== undefined) merged = def.normalize(merged as never, (m) => report.warn(m));
  const problem = def.check?.(merged as never);
  if (problem !== undefined) {
    report.error(`${key}: ${problem} (${describe(source)})`);
    values.failed.add(key);
    return;
  }
  values.setUnknown(key, merged, source);
}

// ── Rules across options ─────────────────────────────────────────────────────────────────────────

interface Rule {
  readonly keys: readonly Key[];
  check(v: Values, report: Report): void;
}

/** Each rule runs only when all of its options apply to the command (a bench run ignores es.*). */
const RULES: readonly Rule[] = [
  {
    keys: ['window.quietMs', 'window.maxWindowMs'],
    check(v, r) {
      if (v.get('window.quietMs') > v.get('window.maxWindowMs')) {
        r.error(`${v.where('window.quietMs')} must not exceed ${v.where('window.maxWindowMs')}: a trace would always flush on age`);
      }
    },
  },
  {
    keys: ['es.retryInitialMs', 'es.retryMaxMs'],
    check(v, r) {
      if (v.get('es.retryInitialMs') > v.get('es.retryMaxMs'))
        r.error(`${v.where('es.retryInitialMs')} must not exceed ${v.where('es.retryMaxMs')}`);
    },
  },
  {
    keys: ['sink.kind', 'sink.file'],
    check(v, r) {
      const kind = v.get('sink.kind');
      if (kind === 'file' && !v.has('sink.file')) r.error(`sink.file is required when ${v.where('sink.kind')} is file`);
      if (kind !== 'file' && v.has('sink.file'))
        r.error(`${v.where('sink.file')} is set but ${v.where('sink.kind')} is ${kind}; set sink.kind to file`);
    },
  },
  {
    keys: ['es.username', 'es.password'],
    check(v, r) {
      // Basic auth needs both; one alone is a half-finished config that would fail at the first request.
      if (v.has('es.username') !== v.has('es.password')) {
        const [set, missing] = v.has('es.username') ? (['es.username', 'es.password'] as const) : (['es.password', 'es.username'] as const);
        r.error(`${missing} is required when ${v.where(set)} is set`);
      }
    },
  },
  {
    keys: ['kafka.topic', 'kafka.deadLetterTopic'],
    check(v, r) {
      const dlt = v.get('kafka.deadLetterTopic');
      // Consuming our own dead letters would loop a poison message forever.
      if (v.get('kafka.topic').includes(dlt))
        r.error(`${v.where('kafka.deadLetterTopic')} must not be one of the consumed topics (${v.where('kafka.topic')})`);
    },
  },
  {
    keys: ['http.enabled', 'http.host', 'http.port', 'admin.enabled', 'admin.host', 'admin.port'],
    check(v, r) {
      if (!v.get('http.enabled') || !v.get('admin.enabled')) return;
      const port = v.get('http.port');
      if (port === 0 || port !== v.get('admin.port')) return;
      const wildcard = new Set(['0.0.0.0', '::', '']);
      const [a, b] = [v.get('http.host'), v.get('admin.host')];
      if (a === b || wildcard.has(a) || wildcard.has(b)) r.error(`${v.where('http.port')} and ${v.where('admin.port')} are the same port`);
    },
  },
  {
    keys: ['replay.from', 'replay.to'],
    check(v, r) {
      const from = v.get('replay.from');
      const to = v.get('replay.to');
      if (from === undefined || to === undefined) return;
      const backwards =
        (from.kind === 'offset' && to.kind === 'offset' && from.offset > to.offset) ||
        (from.kind === 'time' && to.kind === 'time' && from.timestampMs > to.timestampMs);
      if (backwards) r.error(`${v.where('replay.from')} is after ${v.where('replay.to')}`);
    },
  },
  {
    keys: ['replay.dryRun', 'replay.out'],
    check(v, r) {
      if (v.get('replay.dryRun') && v.has('replay.out'))
        r.error(`${v.where('replay.dryRun')} and ${v.where('replay.out')} exclude each other: a dry run writes nothing`);
    },
  },
];

/** Defaults that depend on other options or on the machine. */
function computeDefaults(v: Values): void {
  const topic = v.get('kafka.topic')?.[0];
  if (!v.has('kafka.deadLetterTopic') && topic !== undefined) v.set('kafka.deadLetterTopic', `${topic}.dead-letter`, { kind: 'default' });
  if (!v.has('workers')) v.set('workers', Math.min(64, Math.max(1, availableParallelism())), { kind: 'default' });
  // A fresh group per run: a replay never moves the offsets of the ingest group, nor of an earlier replay.
  if (!v.has('replay.group')) v.set('replay.group', `tracefold-replay-${randomBytes(4).toString('hex')}`, { kind: 'default' });
}

/** What the replay flags mean for the shared options, applied so the rest of the program reads one place. */
function applyReplay(v: Values): void {
  const out = v.get('replay.out');
  if (out !== undefined) {
    v.set('sink.kind', 'file', v.source('replay.out'));
    v.set('sink.file', out, v.source('replay.out'));
  }
  if (v.get('replay.dryRun')) v.set('sink.kind', 'null', v.source('replay.dryRun'));
  const prefix = v.get('replay.esIndexPrefix');
  if (prefix !== undefined) v.set('es.index', prefix, v.source('replay.esIndexPrefix'));
}

function buildTree(v: Values, command: Command): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const key of KEYS) {
    if (key.startsWith('replay.') && command !== 'replay') continue;
    const path = key.split('.');
    let node = root;
    for (const part of path.slice(0, -1)) {
      node[part] ??= {};
      node = node[part] as Record<string, unknown>;
    }
    node[path[path.length - 1]!] = v.get(key);
  }
  return root;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

// ── Entry point ──────────────────────────────────────────────────────────────────────────────────

export function loadConfig<C extends Command>(input: LoadInput<C>): LoadResult<ConfigFor<C>> {
  const { command, env } = input;
  const cwd = input.cwd ?? process.cwd();
  const report = new Report();

  const argv = parseArgv(command, input.argv, report);
  if (argv.help) return { ok: false, errors: [], help: helpFor(command) };
  if (argv.args.length > 0 && !COMMAND_INFO[command].takesArgs) {
    report.error(`tracefold ${command} takes no arguments, got ${argv.args.map((a) => JSON.stringify(a)).join(' ')}`);
  }

  const configPath = argv.configFile ?? (env[CONFIG_ENV] === '' ? undefined : env[CONFIG_ENV]);
  const configFile = configPath === undefined ? undefined : resolve(cwd, configPath);
  const fileEntries = configFile === undefined ? new Map<Key, Entry>() : readFile(configFile, report);
  const envEntries = readEnv(command, env, report);

  const values = new Values();
  for (const key of KEYS) merge(key, [fileEntries.get(key), envEntries.get(key), argv.flags.get(key)], cwd, report, values);

  for (const key of KEYS) {
    const def = optionDef(key);
    if (def.required === true && appliesTo(key, command) && !values.has(key) && !values.failed.has(key)) {
      const how = [...flagNames(key).map((f) => `--${f}`), envName(key)].join(', ');
      report.error(`${key} is required for tracefold ${command} (${how}, or ${key} in the config file)`);
    }
  }
  computeDefaults(values);
  for (const rule of RULES) {
    if (rule.keys.every((k) => appliesTo(k, command) && !values.failed.has(k))) rule.check(values, report);
  }

  const streams = values.get('kafka.streams');
  if (streams !== undefined && appliesTo('kafka.streams', command)) {
    report.warn(
      `kafka.streams=${streams} (${describe(values.source('kafka.streams'))}) is ignored: tracefold's parallelism is set by workers (${values.get('workers')})`,
    );
  }
  if (values.source('es.password').kind === 'flag') {
    report.warn('es.password was given as a flag, which other users of this host can read in the process list; prefer ES_PASSWORD');
  }

  if (report.errors.length > 0) return { ok: false, errors: report.errors };
  if (command === 'replay') applyReplay(values);
  // The one cast from the dynamic table to the derived type: buildTree emits exactly the schema's keys,
  // each parsed by its own type (Values.get), and drops `replay` for the commands whose type lacks it.
  const config = deepFreeze(buildTree(values, command)) as unknown as ConfigFor<C>;
  return { ok: true, config, args: argv.args, warnings: report.warnings, configFile };
}

/** A copy safe to log: secret options (es.password) are replaced when set. */
export function redactConfig<T extends object>(config: T): T {
  const copy = structuredClone(config) as Record<string, unknown>;
  for (const key of KEYS) {
    const type = optionDef(key).type;
    if (type.kind !== 'string' || type.secret !== true) continue;
    const path = key.split('.');
    let node: Record<string, unknown> | undefined = copy;
    for (const part of path.slice(0, -1)) node = node?.[part] as Record<string, unknown> | undefined;
    const leaf = path[path.length - 1]!;
    if (node !== undefined && node[leaf] !== undefined) node[leaf] = '<redacted>';
  }
  return copy as T;
}
