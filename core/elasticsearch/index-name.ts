/**
 * Zipkin's day-index naming (`IndexNameFormatter`, zipkin-formats.md B.2): shared by the template
 * installer (coordinator) and the document encoder (workers).
 */

export type IndexType = 'span' | 'dependency' | 'autocomplete';

const DAY_MS = 86_400_000;
let cachedDayNumber = Number.NaN;
let cachedSeparator = '';
let cachedDay = '';

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

/** UTC `yyyy<sep>MM<sep>dd`, or `yyyyMMdd` when the separator is empty or char 0 (Zipkin's `ES_DATE_SEPARATOR`). */
export function formatDay(epochMillis: number, separator: string): string {
  const dayNumber = Math.floor(epochMillis / DAY_MS);
  // Spans cluster on one day: remember the last answer instead of formatting a Date per span.
  if (dayNumber === cachedDayNumber && separator === cachedSeparator) return cachedDay;
  const d = new Date(dayNumber * DAY_MS);
  const sep = separator === '\0' ? '' : separator;
  const year = d.getUTCFullYear();
  const yyyy = year >= 0 && year < 10000 ? String(year).padStart(4, '0') : String(year);
  cachedDay = yyyy + sep + pad2(d.getUTCMonth() + 1) + sep + pad2(d.getUTCDate());
  cachedDayNumber = dayNumber;
  cachedSeparator = separator;
  return cachedDay;
}

/** `{prefix}{delimiter}{type}-{day}`, e.g. `zipkin-span-2016-08-02` (ES ≥ 7, OpenSearch) or `zipkin:span-2016-08-02` (ES < 7). */
export function indexName(prefix: string, delimiter: string, type: IndexType, day: string): string {
  // Spans cluster on one day: hand back the same string instead of a new one per span.
  if (day === cachedIndex.day && prefix === cachedIndex.prefix && delimiter === cachedIndex.delimiter && type === cachedIndex.type) {
    return cachedIndex.name;
  }
  const name = prefix + delimiter + type + '-' + day;
  cachedIndex = { prefix, delimiter, type, day, name };
  return name;
}

let cachedIndex = { prefix: '', delimiter: '', type: '', day: '', name: '' };
