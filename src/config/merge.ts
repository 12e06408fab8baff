/**
 * Parsing and merging: each layer's raw entry is parsed by its option's type, layers are merged in
 * precedence order (maps key by key), then the option's own normalize/check run on the result.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import {
  type Parsed,
  parseBool,
  parseBoundedInt,
  parseBytes,
  parseDuration,
  parseEnum,
  parseIntList,
  parseMap,
  parseNumber,
  parsePosition,
  parseString,
  parseStringList,
  type Raw,
} from './parse.js';
import { type Problem, parseRecords, Structured } from './records.js';
import { type Key, optionDef, type TypeSpec, type ValueAt } from './schema.js';
import { describe, type Entry, type Report, type Source } from './sources.js';

/** A failure of a records option lists every bad item's problems, each with its path. */
export type ParsedValue = Parsed<unknown> | { readonly ok: false; readonly problem?: undefined; readonly problems: readonly Problem[] };

export function parseRaw(type: TypeSpec, raw: Raw | Structured): ParsedValue {
  if (type.kind === 'records') return parseRecords(raw, type.item);
  // Only records options read structured data from the file (file.ts); any other type sees text.
  if (raw instanceof Structured) return { ok: false, problem: 'expected a single value, list or mapping, got structured data' };
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
export class Values {
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

export function merge(key: Key, layers: readonly (Entry | undefined)[], cwd: string, report: Report, values: Values): void {
  const def = optionDef(key);
  let merged: unknown;
  let source: Source | undefined;
  for (const entry of layers) {
    if (entry === undefined) continue;
    const parsed = parseRaw(def.type, entry.raw);
    if (!parsed.ok) {
      if (parsed.problem !== undefined) report.error(`${key}: ${parsed.problem} (${describe(entry.source)})`);
      else for (const p of parsed.problems) report.error(`${key}${p.path}: ${p.message} (${describe(entry.source)})`);
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
