/**
 * Options whose value is a list of records (trace-level rules, routes, …): written as a YAML
 * sequence of mappings in the config file, or as a JSON array in an environment variable or flag.
 * Each item is checked by the option's own validator, which reports every problem with its path
 * (`check.rules[2].action: must be one of fix, drop, quarantine`), so a file with several bad rules
 * gets every one of them reported in one run, like every other option.
 *
 * How to add one (in src/config/schema.ts):
 *
 *   interface Rule { readonly match: string; readonly action: 'fix' | 'drop' }
 *   const rule: ItemValidator<Rule> = (item) => {
 *     if (!item.fields(['match', 'action'])) return undefined;   // a mapping, no unknown keys
 *     const match = item.string('match');
 *     const action = item.oneOf('action', ['fix', 'drop'] as const);
 *     return match === undefined || action === undefined ? undefined : { match, action };
 *   };
 *   'check.rules': option({ type: records(rule, 'rule'), default: [], commands: PIPELINE, description: '…' }),
 *
 * The loaded value is `readonly Rule[]`, typed through the schema like every option. Add a sample to
 * test/unit/src/config/options.test.ts (a JSON array as the flag value) and, if the workers need it,
 * carry it in WorkerSettings.
 */
import { suggest } from './suggest.js';

/** A problem in one item: `path` below the option key (`[2].action`), then what is wrong. */
export interface Problem {
  readonly path: string;
  readonly message: string;
}

/** The raw value of a records option read from the YAML file: plain data, not text. */
export class Structured {
  constructor(readonly value: unknown) {}
}

/**
 * Reads the fields of one item, recording a problem for each bad or missing one instead of stopping:
 * a validator calls every field reader, then returns undefined if any failed.
 */
export class ItemReader {
  #failed = false;
  constructor(
    readonly value: unknown,
    /** Path of this item below the option key, e.g. `[2]`. */
    readonly path: string,
    private readonly problems: Problem[],
  ) {}

  /** Whether any problem was reported for this item. */
  get failed(): boolean {
    return this.#failed;
  }

  problem(field: string | undefined, message: string): void {
    this.#failed = true;
    this.problems.push({ path: field === undefined ? this.path : `${this.path}.${field}`, message });
  }

  /** The item must be a mapping with only these keys; reports the item's problem and returns false otherwise. */
  fields(known: readonly string[]): boolean {
    if (!isRecord(this.value)) {
      this.problem(undefined, `expected a mapping (${known.join(', ')}), got ${describeValue(this.value)}`);
      return false;
    }
    for (const name of Object.keys(this.value)) {
      if (known.includes(name)) continue;
      const near = suggest(name, known, '');
      this.problem(name, `unknown field${near === undefined ? '' : `; did you mean ${near}?`} (known: ${known.join(', ')})`);
    }
    return true;
  }

  #get(name: string, optional: boolean): unknown {
    const v = isRecord(this.value) ? this.value[name] : undefined;
    if ((v === undefined || v === null) && !optional) this.problem(name, 'required');
    return v ?? undefined;
  }

  string(name: string, opts: { optional?: boolean; allowEmpty?: boolean } = {}): string | undefined {
    const v = this.#get(name, opts.optional === true);
    if (v === undefined) return undefined;
    // Numbers and booleans in YAML are read as text here: `value: 8080` is a string field's "8080".
    const text = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
    if (text === undefined) return this.#bad(name, 'a string', v);
    if (text === '' && opts.allowEmpty !== true) return this.#bad(name, 'a non-empty string', v);
    return text;
  }

  oneOf<const V extends string>(name: string, values: readonly V[], opts: { optional?: boolean } = {}): V | undefined {
    const v = this.#get(name, opts.optional === true);
    if (v === undefined) return undefined;
    const hit = values.find((x) => typeof v === 'string' && x.toLowerCase() === v.toLowerCase());
    if (hit === undefined) {
      this.problem(name, `must be one of ${values.join(', ')}, got ${describeValue(v)}`);
      return undefined;
    }
    return hit;
  }

  number(name: string, min: number, max: number, opts: { optional?: boolean; integer?: boolean } = {}): number | undefined {
    const v = this.#get(name, opts.optional === true);
    if (v === undefined) return undefined;
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
    const integer = opts.integer === true;
    if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      return this.#bad(name, `${integer ? 'an integer' : 'a number'} from ${min} to ${max}`, v);
    }
    return n;
  }

  bool(name: string, opts: { optional?: boolean } = {}): boolean | undefined {
    const v = this.#get(name, opts.optional === true);
    if (v === undefined) return undefined;
    if (typeof v === 'boolean') return v;
    if (v === 'true' || v === 'false') return v === 'true';
    return this.#bad(name, 'true or false', v);
  }

  #bad(name: string, expected: string, got: unknown): undefined {
    this.problem(name, `expected ${expected}, got ${describeValue(got)}`);
    return undefined;
  }
}

/** Validates one item: reads its fields through the reader and returns the record, or undefined if any failed. */
export type ItemValidator<R> = (item: ItemReader) => R | undefined;

export type RecordsParsed<R> =
  | { readonly ok: true; readonly value: readonly R[] }
  | { readonly ok: false; readonly problems: readonly Problem[] };

/**
 * A records option's value from its raw form: the file's structured data, or JSON text from the
 * environment or a flag. Every item is validated, whatever the earlier ones held.
 */
export function parseRecords<R>(raw: unknown, validate: ItemValidator<R>): RecordsParsed<R> {
  let data: unknown;
  if (raw instanceof Structured) data = raw.value;
  else if (typeof raw === 'string') {
    try {
      data = JSON.parse(raw);
    } catch (err) {
      // The JSON error says where; the text itself is not echoed (it may hold a secret).
      return { ok: false, problems: [{ path: '', message: `expected a JSON array of records (${(err as Error).message})` }] };
    }
  } else return { ok: false, problems: [{ path: '', message: 'expected a list of records (a YAML sequence or a JSON array)' }] };
  if (!Array.isArray(data))
    return { ok: false, problems: [{ path: '', message: `expected a list of records, got ${describeValue(data)}` }] };
  const problems: Problem[] = [];
  const out: R[] = [];
  data.forEach((item, i) => {
    const reader = new ItemReader(item, `[${i}]`, problems);
    const value = validate(reader);
    if (value !== undefined && !reader.failed) out.push(value);
    else if (!reader.failed) reader.problem(undefined, 'invalid');
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: out };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** What a bad value was, without echoing long or structured text. */
function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return `a list (${v.length} items)`;
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return v.length > 40 ? 'a long string' : JSON.stringify(v);
  return String(v);
}
