/**
 * Where a document goes: Zipkin's day-index naming (`IndexNameFormatter`, zipkin-formats.md B.2)
 * and the bulk action line (`BulkCallBuilder.writeIndexMetadata`, B.6).
 */
import type { Span } from '../../core/model/span.js';
import { quote } from './json-string.js';

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

/**
 * The day index a span goes to (`ElasticsearchSpanConsumer.indexSpans`): its timestamp, else its
 * earliest annotation, else `nowMs`; UTC.
 */
export function indexDay(span: Span, separator: string, nowMs: number = Date.now()): string {
  let millis: number;
  if (span.timestamp !== undefined && span.timestamp > 0) {
    millis = Math.floor(span.timestamp / 1000);
  } else if (span.annotations !== undefined && span.annotations.length > 0) {
    let min = Number.POSITIVE_INFINITY;
    for (const a of span.annotations) if (a.timestamp < min) min = a.timestamp;
    millis = Math.floor(min / 1000);
  } else {
    millis = nowMs;
  }
  return formatDay(millis, separator);
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
let cachedPrefix = { index: '', supportsTypes: false, prefix: '' };

/**
 * `{"index":{"_index":I[,"_type":"span"],"_id":"` — the part of a span's action line before its
 * `_id`, which the caller follows with the `_id` (hex and '-': no escaping) and `"}}`.
 */
export function spanActionPrefix(index: string, supportsTypes: boolean): string {
  if (index !== cachedPrefix.index || supportsTypes !== cachedPrefix.supportsTypes) {
    cachedPrefix = {
      index,
      supportsTypes,
      prefix: actionHead(index, supportsTypes ? 'span' : undefined) + '"',
    };
  }
  return cachedPrefix.prefix;
}

/** The bulk action line (no newline). `_type` only when the engine still has mapping types. */
export function actionLine(index: string, type: IndexType | undefined, id: string): string {
  return actionHead(index, type) + quote(id) + '}}';
}

/** `{"index":{"_index":I[,"_type":T],"_id":` — an action line up to its `_id` value. */
function actionHead(index: string, type: IndexType | undefined): string {
  return '{"index":{"_index":' + quote(index) + (type === undefined ? '' : ',"_type":"' + type + '"') + ',"_id":';
}
