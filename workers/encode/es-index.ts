/**
 * Where a document goes: the span's day index (names from core/elasticsearch/index-name.ts) and the
 * bulk action line (`BulkCallBuilder.writeIndexMetadata`, zipkin-formats.md B.6).
 */

import { formatDay, type IndexType } from '../../core/elasticsearch/index-name.js';
import type { Span } from '../../core/model/span.js';
import { quote } from './json-string.js';

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
