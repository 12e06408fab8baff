/**
 * Value parsers for every option type, and their inverse formatters (used by --help to print defaults
 * in the form a user would type). Each parser takes the raw text (or YAML list/map) and either returns
 * the typed value or says what form was expected; the caller adds which key and source were at fault.
 */

/**
 * What a source hands over before parsing. Flags and environment variables are text; YAML scalars
 * arrive as their source text too (so `password: 0123` keeps its leading zero), YAML sequences and
 * repeated flags as lists, YAML mappings and `--kafka-property k=v` flags as records.
 */
export type Raw = string | readonly string[] | Readonly<Record<string, string>>;

export type Parsed<V> = { readonly ok: true; readonly value: V } | { readonly ok: false; readonly problem: string };

const ok = <V>(value: V): Parsed<V> => ({ ok: true, value });
const fail = (problem: string): Parsed<never> => ({ ok: false, problem });

function show(raw: Raw): string {
  if (typeof raw === 'string') return JSON.stringify(raw);
  if (Array.isArray(raw)) return `a list (${raw.length} items)`;
  return 'a mapping';
}

/** The text of a scalar option, or a problem when a list or mapping was given where one value belongs. */
function scalarText(raw: Raw, expected: string): Parsed<string> {
  if (typeof raw === 'string') return ok(raw.trim());
  return fail(`expected ${expected}, got ${show(raw)}`);
}

/** `1_000_000` is accepted because long numbers are easier to check with separators. */
const INTEGER = /^[+-]?\d+(?:_\d+)*$/;
const DECIMAL = /^(?:\d+(?:_\d+)*)(?:\.\d+)?$/;

export function parseInteger(text: string): number | undefined {
  if (!INTEGER.test(text)) return undefined;
  const n = Number(text.replace(/_/g, ''));
  return Number.isSafeInteger(n) ? n : undefined;
}

function rangeText(min: number, max: number, format: (n: number) => string = String): string {
  if (max === Number.MAX_SAFE_INTEGER) return `at least ${format(min)}`;
  return `from ${format(min)} to ${format(max)}`;
}

export function parseBoundedInt(raw: Raw, min: number, max: number): Parsed<number> {
  const expected = `an integer ${rangeText(min, max)}`;
  const text = scalarText(raw, expected);
  if (!text.ok) return text;
  const n = parseInteger(text.value);
  if (n === undefined || n < min || n > max) return fail(`expected ${expected}, got ${show(raw)}`);
  return ok(n);
}

export function parseNumber(raw: Raw, min: number, max: number): Parsed<number> {
  const expected = `a number ${rangeText(min, max)}`;
  const text = scalarText(raw, expected);
  if (!text.ok) return text;
  const n = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/.test(text.value) ? Number(text.value) : Number.NaN;
  if (!Number.isFinite(n) || n < min || n > max) return fail(`expected ${expected}, got ${show(raw)}`);
  return ok(n);
}

const TRUE = new Set(['true', 'yes', 'on', '1']);
const FALSE = new Set(['false', 'no', 'off', '0']);

/** The spellings Spring Boot accepts too, so Zipkin-style environment files keep working. */
export function parseBool(raw: Raw): Parsed<boolean> {
  const expected = 'true or false (also yes/no, on/off, 1/0)';
  const text = scalarText(raw, expected);
  if (!text.ok) return text;
  const t = text.value.toLowerCase();
  if (TRUE.has(t)) return ok(true);
  if (FALSE.has(t)) return ok(false);
  return fail(`expected ${expected}, got ${show(raw)}`);
}

const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Milliseconds from `250ms`, `5s`, `1.5s`, `1m30s`, `1h`, `7d`, or a plain integer (milliseconds, the
 * unit Zipkin's ES_TIMEOUT and AUTOCOMPLETE_TTL use).
 */
export function parseDurationMs(text: string): number | undefined {
  const plain = parseInteger(text);
  if (plain !== undefined) return plain >= 0 ? plain : undefined;
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let end = 0;
  for (let match = part.exec(text); match !== null; match = part.exec(text)) {
    total += Number(match[1]) * DURATION_UNITS[match[2]!]!;
    end = part.lastIndex;
  }
  if (end === 0 || end !== text.length) return undefined;
  // Decimal units can land a hair off an integer (1.005s); anything finer than 1 ms is a mistake.
  const rounded = Math.round(total);
  return Math.abs(total - rounded) < 1e-6 && Number.isSafeInteger(rounded) ? rounded : undefined;
}

export function formatDurationMs(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

export function parseDuration(raw: Raw, min: number, max: number): Parsed<number> {
  const expected = `a duration ${rangeText(min, max, formatDurationMs)} such as 250ms, 5s, 1m, 1h or plain milliseconds`;
  const text = scalarText(raw, expected);
  if (!text.ok) return text;
  const ms = parseDurationMs(text.value.toLowerCase());
  if (ms === undefined || ms < min || ms > max) return fail(`expected ${expected}, got ${show(raw)}`);
  return ok(ms);
}

const BYTE_UNITS: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/**
 * Bytes from `512KiB`, `256MiB`, `1GB` (decimal) or a plain integer. A bare `256M` is refused: JVM
 * habits read it as MiB and disk vendors as MB, and a 5% error on a memory budget is a real one.
 */
export function parseByteCount(text: string): number | undefined {
  const match = /^(\d+(?:_\d+)*(?:\.\d+)?)\s*([a-z]*)$/i.exec(text);
  if (match === null) return undefined;
  const unit = match[2]!.toLowerCase();
  const size = unit === '' ? 1 : BYTE_UNITS[unit];
  if (size === undefined || !DECIMAL.test(match[1]!)) return undefined;
  const total = Number(match[1]!.replace(/_/g, '')) * size;
  const rounded = Math.round(total);
  return Math.abs(total - rounded) < 1e-6 && Number.isSafeInteger(rounded) ? rounded : undefined;
}

export function formatBytes(n: number): string {
  for (const [unit, size] of [
    ['TiB', 2 ** 40],
    ['GiB', 2 ** 30],
    ['MiB', 2 ** 20],
    ['KiB', 2 ** 10],
  ] as const) {
    if (n >= size && n % size === 0) return `${n / size}${unit}`;
  }
  return String(n);
}

export function parseBytes(raw: Raw, min: number, max: number): Parsed<number> {
  const expected = `a size ${rangeText(min, max, formatBytes)} such as 512KiB, 256MiB, 1GB or plain bytes`;
  const text = scalarText(raw, expected);
  if (!text.ok) return text;
  const n = parseByteCount(text.value);
  if (n === undefined || n < min || n > max) {
    const hint = /^\d+(?:\.\d+)?\s*[kmgt]$/i.test(text.value)
      ? ' (write KiB/MiB/GiB for powers of 1024 or KB/MB/GB for powers of 1000)'
      : '';
    return fail(`expected ${expected}, got ${show(raw)}${hint}`);
  }
  return ok(n);
}

export function parseString(raw: Raw, allowEmpty: boolean): Parsed<string> {
  const text = scalarText(raw, 'a single value');
  if (!text.ok) return text;
  // Never echo the value: the same parser reads passwords.
  if (!allowEmpty && text.value === '') return fail('must not be empty');
  return ok(text.value);
}

export function parseEnum<V extends string>(raw: Raw, values: readonly V[]): Parsed<V> {
  const expected = `one of ${values.join(', ')}`;
  const text = scalarText(raw, expected);
  if (!text.ok) return text;
  // Case-insensitive because LOG_LEVEL=INFO is how many deployments spell it.
  const hit = values.find((v) => v.toLowerCase() === text.value.toLowerCase());
  return hit === undefined ? fail(`expected ${expected}, got ${show(raw)}`) : ok(hit);
}

/** List items: comma-separated text, or YAML sequence items / repeated flags (each may hold commas too). */
function listItems(raw: Raw): Parsed<string[]> {
  if (typeof raw === 'string') return ok(raw.split(',').map((s) => s.trim()));
  if (Array.isArray(raw)) return ok(raw.flatMap((item: string) => item.split(',').map((s) => s.trim())));
  return fail(`expected a list (a,b,c or a YAML sequence), got ${show(raw)}`);
}

export function parseStringList(raw: Raw, minItems: number): Parsed<readonly string[]> {
  const items = listItems(raw);
  if (!items.ok) return items;
  // Empty items are dropped (a trailing comma is not a value) and duplicates are dropped (subscribing
  // to one topic twice or writing to one host twice is never intended).
  const values = [...new Set(items.value.filter((s) => s !== ''))];
  if (values.length < minItems) return fail(`expected at least ${minItems} item${minItems === 1 ? '' : 's'}, got none`);
  return ok(values);
}

export function parseIntList(raw: Raw, minItems: number, min: number, max: number): Parsed<readonly number[]> {
  const items = parseStringList(raw, minItems);
  if (!items.ok) return items;
  const out: number[] = [];
  for (const item of items.value) {
    const n = parseInteger(item);
    if (n === undefined || n < min || n > max)
      return fail(`expected a list of integers ${rangeText(min, max)}, got item ${JSON.stringify(item)}`);
    if (!out.includes(n)) out.push(n);
  }
  return ok(out);
}

/** `k=v,k2=v2` text, a YAML mapping, or a list of `k=v` entries. A value may contain `=`; the key may not. */
export function parseMap(raw: Raw): Parsed<Readonly<Record<string, string>>> {
  const out: Record<string, string> = {};
  if (typeof raw !== 'string' && !Array.isArray(raw)) {
    for (const [k, v] of Object.entries(raw)) {
      if (k.trim() === '') return fail('expected non-empty keys in the mapping');
      out[k.trim()] = v;
    }
    return ok(out);
  }
  const items = listItems(raw);
  if (!items.ok) return items;
  for (const item of items.value) {
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq <= 0) return fail(`expected key=value pairs (k=v,k2=v2), got item ${JSON.stringify(item)}`);
    out[item.slice(0, eq).trim()] = item.slice(eq + 1).trim();
  }
  return ok(out);
}

/** One `k=v` entry of a repeatable map flag such as `--kafka-property`: commas stay in the value. */
export function parseMapEntry(text: string): Parsed<readonly [string, string]> {
  const eq = text.indexOf('=');
  if (eq <= 0 || text.slice(0, eq).trim() === '') return fail(`expected key=value, got ${JSON.stringify(text)}`);
  return ok([text.slice(0, eq).trim(), text.slice(eq + 1).trim()] as const);
}

export type Position<W extends string> =
  | { readonly kind: 'offset'; readonly offset: number }
  | { readonly kind: 'time'; readonly timestampMs: number }
  | { readonly kind: W };

/**
 * A date, or a date and time with an explicit zone. A zoneless time would be read in the host's local
 * zone, so the same command would replay different ranges on different machines.
 */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/i;

export function parsePosition<W extends string>(raw: Raw, keyword: W): Parsed<Position<W>> {
  const expected = `a Kafka offset (integer ≥ 0), an ISO-8601 date or time with a zone (2024-05-01T12:00:00Z) or ${keyword}`;
  const text = scalarText(raw, expected);
  if (!text.ok) return text;
  const t = text.value;
  if (t.toLowerCase() === keyword) return ok({ kind: keyword });
  const offset = parseInteger(t);
  if (offset !== undefined) return offset >= 0 ? ok({ kind: 'offset', offset }) : fail(`expected ${expected}, got ${show(raw)}`);
  if (ISO_8601.test(t)) {
    // Date.parse wants `+hh:mm`; accept the `+hhmm` form ISO also allows.
    const ms = Date.parse(t.toUpperCase().replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
    if (Number.isFinite(ms)) return ok({ kind: 'time', timestampMs: ms });
  }
  return fail(`expected ${expected}, got ${show(raw)}`);
}
