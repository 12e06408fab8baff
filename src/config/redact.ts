/**
 * The one redaction: every place that prints configuration (errors, warnings, --help defaults, the
 * effective config logged at start-up) goes through here, so a secret cannot leak by one printer
 * forgetting a rule another one knows.
 *
 * A value is secret when its option is declared secret in the schema (es.password) or when its name
 * looks like a credential: any `*password*`, secrets, api keys, tokens, private keys. The name rule
 * also covers entries of map options, where librdkafka pass-through keys such as `sasl.password` or
 * `ssl.key.password` arrive.
 */
import type { Raw } from './parse.js';
import { Structured } from './records.js';
import { flagNames, isSecret, KEYS, type Key, optionDef } from './schema.js';
import type { Entry } from './sources.js';

export const REDACTED = '<redacted>';

/** Names of credentials, in tracefold's dotted keys, librdkafka's properties or environment names. */
const SECRET_NAME =
  /pass(?:word|wd|phrase)|secret|api[._-]?key|token|credential|private[._-]?key|ssl[._]key[._]pem|sasl[._]oauthbearer[._]config/i;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** A printable copy of a loaded config (or any part of it): secret values replaced, the rest as is. */
export function redactConfig<T extends object>(config: T): T {
  return redactNode(structuredClone(config), '') as T;
}

function redactNode(node: unknown, path: string): unknown {
  if (typeof node !== 'object' || node === null) return node;
  if (Array.isArray(node)) return node.map((item, i) => redactNode(item, `${path}[${i}]`));
  const record = node as Record<string, unknown>;
  for (const [name, value] of Object.entries(record)) {
    const at = path === '' ? name : `${path}.${name}`;
    if (value !== undefined && value !== null && (isSecretKey(at) || isSecretName(name))) record[name] = REDACTED;
    else record[name] = redactNode(value, at);
  }
  return record;
}

const KEY_SET: ReadonlySet<string> = new Set(KEYS);

function isSecretKey(path: string): boolean {
  return KEY_SET.has(path) && isSecret(path as Key);
}

/**
 * Secrets shorter than this are not scrubbed from messages: replacing every `x` in a sentence would
 * garble it and say nothing about the secret; such a value is no real credential anyway.
 */
const MIN_SCRUBBED = 4;

/**
 * Adds a secret and, since list and map parsers split on commas and may quote one piece, each of its
 * comma-separated pieces.
 */
function collector(found: Set<string>): (value: string) => void {
  return (value) => {
    for (const v of [value, ...value.split(',')].map((x) => x.trim())) if (v.length >= MIN_SCRUBBED) found.add(v);
  };
}

/** The secret values among the raw entries of one load, to scrub from its messages. */
export function secretValues(layers: Iterable<ReadonlyMap<Key, Entry>>): Set<string> {
  const found = new Set<string>();
  const add = collector(found);
  for (const layer of layers) {
    for (const [key, entry] of layer) {
      const raw = entry.raw;
      const kind = optionDef(key).type.kind;
      if (raw instanceof Structured) secretLeaves(raw.value, false, add);
      else if (kind === 'records' && typeof raw === 'string') secretLeaves(tryJson(raw), false, add);
      else if (isSecret(key)) for (const text of texts(raw)) add(text);
      else if (kind === 'map') for (const [k, v] of pairs(raw)) if (isSecretName(k)) add(v);
    }
  }
  return found;
}

/** Text under a credential-named field anywhere in structured data (a records option's items). */
function secretLeaves(node: unknown, underSecret: boolean, add: (value: string) => void): void {
  if (typeof node === 'string' || typeof node === 'number') {
    if (underSecret) add(String(node));
  } else if (Array.isArray(node)) {
    for (const item of node) secretLeaves(item, underSecret, add);
  } else if (typeof node === 'object' && node !== null) {
    for (const [k, v] of Object.entries(node)) secretLeaves(v, underSecret || isSecretName(k), add);
  }
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Secret values on the command line as typed, including ones the loader refused (a malformed
 * `--kafka-property sasl.password=…` never becomes an entry, but its error may quote part of it).
 */
export function secretArgv(argv: readonly string[]): Set<string> {
  const found = new Set<string>();
  const add = collector(found);
  const secretFlags = new Set(KEYS.filter(isSecret).flatMap((k) => flagNames(k)));
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    const flag = /^--?([^=]+)(?:=(.*))?$/s.exec(token);
    if (flag !== null && secretFlags.has(flag[1]!)) {
      const value = flag[2] ?? argv[i + 1];
      if (value !== undefined) add(value);
      continue;
    }
    // `k=v` text anywhere (a --kafka-property value, a map flag's inline value): credential-named keys.
    const text = flag?.[2] ?? token;
    for (const [k, v] of pairs(text)) if (isSecretName(k.replace(/^-+/, ''))) add(v);
  }
  return found;
}

/** Environment variables that name credentials, whatever program they are meant for. */
export function secretEnvValues(env: Readonly<Record<string, string | undefined>>): Set<string> {
  const found = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && value.trim().length >= MIN_SCRUBBED && isSecretName(name)) found.add(value.trim());
  }
  return found;
}

/** `message` with every occurrence of a secret replaced; longer secrets first so none is half-replaced. */
export function scrub(message: string, secrets: ReadonlySet<string>): string {
  let out = message;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) out = out.split(secret).join(REDACTED);
  return out;
}

function texts(raw: Raw): string[] {
  if (typeof raw === 'string') return [raw];
  if (Array.isArray(raw)) return [...raw];
  return Object.values(raw);
}

/** Key/value pairs of a map option's raw value: a record, or `k=v,k2=v2` text (split loosely: scrubbing errs wide). */
function pairs(raw: Raw): [string, string][] {
  if (typeof raw !== 'string' && !Array.isArray(raw)) return Object.entries(raw as Record<string, string>);
  const items = typeof raw === 'string' ? [raw] : [...(raw as readonly string[])];
  const out: [string, string][] = [];
  for (const item of items) {
    // The whole text after `key=` may be the secret (a value holding commas), and so may each piece.
    const eq = item.indexOf('=');
    if (eq > 0) out.push([item.slice(0, eq), item.slice(eq + 1)]);
    for (const piece of item.split(',')) {
      const e = piece.indexOf('=');
      if (e > 0) out.push([piece.slice(0, e), piece.slice(e + 1)]);
    }
  }
  return out;
}
