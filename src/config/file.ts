/**
 * The YAML file layer: each option nested by its dotted key. Scalars keep their source text (so
 * `password: 0123` is not a number), and every entry remembers its line for error messages.
 */
import { readFileSync } from 'node:fs';
import { isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, type YAMLMap } from 'yaml';
import type { Raw } from './parse.js';
import { Structured } from './records.js';
import { KEYS, type Key, optionDef } from './schema.js';
import type { Entry, Report } from './sources.js';
import { didYouMean } from './suggest.js';

/** Dotted paths that are sections (`kafka`, …) rather than options. */
const SECTIONS = new Set(KEYS.filter((k) => k.includes('.')).map((k) => k.slice(0, k.indexOf('.'))));
const FILE_CANDIDATES = [...KEYS, ...SECTIONS];
const KEY_SET: ReadonlySet<string> = new Set(KEYS);

function isKey(path: string): path is Key {
  return KEY_SET.has(path);
}

export function readFile(file: string, report: Report): Map<Key, Entry> {
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

  /** A records option's value as plain data; null when the key is present without a value. */
  const toStructured = (node: unknown): Structured | null => {
    const n = deref(node);
    if (n === null || n === undefined || (isScalar(n) && n.value === null)) return null;
    return new Structured((n as Node).toJS(doc));
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
        // Records options take the YAML data as it is (sequences of mappings); records.ts validates it.
        const raw = optionDef(path).type.kind === 'records' ? toStructured(pair.value) : toRaw(path, pair.value, line);
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
