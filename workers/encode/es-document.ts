/**
 * Zipkin's Elasticsearch span document, byte for byte (`BulkIndexWriter.write` in
 * openzipkin/zipkin zipkin-storage/elasticsearch; see shared/notes/zipkin-formats.md B.4–B.6).
 *
 * Document keys, in this order, absent values omitted (never null):
 *   timestamp_millis  number    search enabled and floor(timestamp/1000) != 0
 *   _q                string[]  search enabled and (annotations or tags): annotation values of
 *                               ≤ 256 UTF-16 units, then per tag (sorted by key) `k` and `k=v`
 *                               when k.length + v.length + 1 ≤ 256; may be `[]`
 *   traceId parentId id kind name timestamp duration
 *   localEndpoint / remoteEndpoint  {serviceName, ipv4, ipv6, port≠0}, omitted when empty
 *   annotations       [{timestamp, value}] sorted by (timestamp, value), deduplicated
 *   tags              {k: v} keys sorted by UTF-16 code units (Java TreeMap)
 *   debug, shared     only when true (shared never on CLIENT)
 * Bulk pair: `{"index":{"_index":I[,"_type":T],"_id":ID}}\n<doc>\n`, `_type` only on ES < 7 / OS < 2.
 * `_id` = traceId + "-" + md5hex(doc UTF-8 bytes) for spans, "k=v" for autocomplete docs.
 *
 * Preconditions: spans come from `normalizeSpan` (hex IDs, lower-cased names, positive integer
 * times). IDs and kind are therefore concatenated unescaped; everything user-supplied goes
 * through `quote`, which reproduces Jackson's escaping.
 */
import { hash } from 'node:crypto';
import { indexName } from '../../core/elasticsearch/index-name.js';
import { normalizeAnnotations } from '../../core/model/normalize.js';
import type { Annotation, Endpoint, Span } from '../../core/model/span.js';
import { indexDay, spanActionPrefix } from './es-index.js';
import { quote } from './json-string.js';

export { formatDay, type IndexType, indexName } from '../../core/elasticsearch/index-name.js';
export { type AutocompleteDoc, type AutocompleteSettings, AutocompleteTracker } from './autocomplete.js';
export { actionLine, indexDay } from './es-index.js';

/** Zipkin's `SHORT_STRING_LENGTH`: longest `_q` term / autocomplete pair, in UTF-16 units. */
export const SHORT_STRING_LENGTH = 256;

/** The settings the encoder needs (a subset of `SinkSettings`). */
export interface DocumentSettings {
  index: string;
  indexTypeDelimiter: string;
  dateSeparator: string;
  supportsTypes: boolean;
  searchEnabled: boolean;
}

function writeEndpoint(e: Endpoint): string {
  let out = '';
  let sep = '{';
  if (e.serviceName) {
    out += sep + '"serviceName":' + quote(e.serviceName);
    sep = ',';
  }
  if (e.ipv4) {
    out += sep + '"ipv4":' + quote(e.ipv4);
    sep = ',';
  }
  if (e.ipv6) {
    out += sep + '"ipv6":' + quote(e.ipv6);
    sep = ',';
  }
  if (e.port !== undefined && e.port > 0) out += sep + '"port":' + e.port;
  // Zipkin omits an endpoint equal to the empty one.
  return out === '' ? '' : out + '}';
}

/** Tag keys in Java TreeMap order; JS objects enumerate integer-like keys first, so sort ourselves. */
function sortedKeys(tags: Record<string, string>): string[] {
  const keys = Object.keys(tags);
  for (let i = 1; i < keys.length; i++) {
    if ((keys[i - 1] as string) > (keys[i] as string)) return keys.sort();
  }
  return keys;
}

// Quoted tag keys and values of the span being encoded: each is quoted once for both `_q` and
// `tags`. Reused across calls (one document at a time per thread).
const quotedKeys: string[] = [];
const quotedValues: string[] = [];

/** `"k=v"` from the quoted parts when neither needed escaping (the common case), else quoted anew. */
function quoteTerm(k: string, v: string, qk: string, qv: string): string {
  return qk.length === k.length + 2 && qv.length === v.length + 2 ? '"' + k + '=' + v + '"' : quote(k + '=' + v);
}

function searchTerms(annotations: readonly Annotation[] | undefined, tags: Record<string, string> | undefined, keys: string[]): string {
  let out = '"_q":[';
  let sep = '';
  if (annotations !== undefined) {
    for (const a of annotations) {
      if (a.value.length > SHORT_STRING_LENGTH) continue;
      out += sep + quote(a.value);
      sep = ',';
    }
  }
  if (tags !== undefined) {
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as string;
      const v = tags[k] as string;
      if (k.length + v.length + 1 > SHORT_STRING_LENGTH) continue;
      const qk = quotedKeys[i] as string;
      out += sep + qk + ',' + quoteTerm(k, v, qk, quotedValues[i] as string);
      sep = ',';
    }
  }
  return out + '],';
}

/** Where the last document `spanDocument` made has its trace ID's key (see `SpanDocument.head`). */
let lastHeadAt = 0;

/** The exact JSON document Zipkin writes for `span` (no trailing newline). */
export function spanDocument(span: Span, searchEnabled: boolean): string {
  const annotations = span.annotations !== undefined && span.annotations.length > 0 ? normalizeAnnotations(span.annotations) : undefined;
  const tags = span.tags;
  const keys = tags === undefined ? [] : sortedKeys(tags);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    quotedKeys[i] = quote(k);
    quotedValues[i] = quote((tags as Record<string, string>)[k] as string);
  }
  const timestamp = span.timestamp !== undefined && span.timestamp > 0 ? Math.trunc(span.timestamp) : 0;

  let out = '{';
  if (searchEnabled) {
    // Java: `timestamp / 1000L` (integer division); written only when that is non-zero.
    const millis = Math.trunc(timestamp / 1000);
    if (millis !== 0) out += '"timestamp_millis":' + millis + ',';
    if (annotations !== undefined || keys.length > 0) out += searchTerms(annotations, tags, keys);
  }
  lastHeadAt = out.length;
  out += '"traceId":"' + span.traceId + '"';
  if (span.parentId !== undefined && span.parentId !== '' && span.parentId !== span.id) out += ',"parentId":"' + span.parentId + '"';
  out += ',"id":"' + span.id + '"';
  if (span.kind !== undefined) out += ',"kind":"' + span.kind + '"';
  if (span.name) out += ',"name":' + quote(span.name);
  if (timestamp !== 0) out += ',"timestamp":' + timestamp;
  if (span.duration !== undefined && span.duration > 0) out += ',"duration":' + Math.trunc(span.duration);
  if (span.localEndpoint !== undefined) {
    const e = writeEndpoint(span.localEndpoint);
    if (e !== '') out += ',"localEndpoint":' + e;
  }
  if (span.remoteEndpoint !== undefined) {
    const e = writeEndpoint(span.remoteEndpoint);
    if (e !== '') out += ',"remoteEndpoint":' + e;
  }
  if (annotations !== undefined) {
    out += ',"annotations":[';
    for (let i = 0; i < annotations.length; i++) {
      const a = annotations[i] as Annotation;
      out += (i === 0 ? '{"timestamp":' : ',{"timestamp":') + Math.trunc(a.timestamp) + ',"value":' + quote(a.value) + '}';
    }
    out += ']';
  }
  if (keys.length > 0) {
    out += ',"tags":{';
    for (let i = 0; i < keys.length; i++) out += (i === 0 ? '' : ',') + (quotedKeys[i] as string) + ':' + (quotedValues[i] as string);
    out += '}';
  }
  if (span.debug === true) out += ',"debug":true';
  if (span.shared === true && span.kind !== 'CLIENT') out += ',"shared":true';
  if (keys.length > 64) {
    // Do not keep the strings of an unusually large span alive until the next one.
    quotedKeys.length = 0;
    quotedValues.length = 0;
  }
  return out + '}';
}

/** Zipkin's span `_id`: `traceId-md5hex(document UTF-8 bytes)`. Deterministic, so rewrites overwrite. */
export function documentId(traceId: string, doc: string): string {
  // One-shot hash: no Hash object per span (≈ 0.7 µs/span less than createHash, bench micro).
  return traceId + '-' + hash('md5', doc, 'hex');
}

/** A span's document and its day index: what the windows buffer until the trace is flushed. */
export interface SpanDocument {
  doc: string;
  /** Index name; one shared string per day, so it costs a buffered span nothing. */
  index: string;
  /**
   * Where `"traceId":"` starts in `doc`: `readHead` starts there instead of searching past the
   * search terms (`_q`, often most of the way) for it.
   */
  head: number;
}

/** The document of `span` and the index it goes to. */
export function documentOf(span: Span, settings: DocumentSettings, nowMs?: number): SpanDocument {
  const doc = spanDocument(span, settings.searchEnabled);
  return {
    doc,
    index: indexName(settings.index, settings.indexTypeDelimiter, 'span', indexDay(span, settings.dateSeparator, nowMs)),
    head: lastHeadAt,
  };
}

/**
 * One bulk item (action line + document line, each newline-terminated) for a span document. Made
 * at flush rather than when the span arrives: a buffered span then holds no action line (≈ 100 B,
 * 14 % of the item) and the MD5 is paid only for what is written.
 */
export function spanBulkItem(index: string, supportsTypes: boolean, traceId: string, doc: string): string {
  // IDs are lower-hex (normalizeSpan), so the `_id` needs no escaping.
  return spanActionPrefix(index, supportsTypes) + documentId(traceId, doc) + '"}}\n' + doc + '\n';
}

/** Action line and document line of one span, each newline-terminated: one bulk item. */
export function bulkLines(span: Span, settings: DocumentSettings, nowMs?: number): string {
  const { doc, index } = documentOf(span, settings, nowMs);
  return spanBulkItem(index, settings.supportsTypes, span.traceId, doc);
}

/**
 * Back from a bulk item (action + document lines) to the span as plain Zipkin JSON v2, for
 * dead-letter records: drops the index-only `timestamp_millis` and `_q`. Cold path.
 */
export function spanJsonFromBulkLines(lines: string): string {
  const start = lines.indexOf('\n') + 1;
  const end = lines.indexOf('\n', start);
  return spanJsonFromDocument(lines.slice(start, end < 0 ? undefined : end));
}

/** A span document back to plain Zipkin JSON v2 (see above). */
export function spanJsonFromDocument(document: string): string {
  const doc = JSON.parse(document) as Record<string, unknown>;
  delete doc.timestamp_millis;
  delete doc._q;
  return JSON.stringify(doc);
}

const TRACE_ID_KEY = '"traceId":"';

/**
 * The trace ID of a span document, without parsing it: the key can only occur once unescaped, since
 * every quote inside a string value (`_q` terms come first) is written as `\"`.
 */
export function traceIdOfDocument(document: string): string {
  const at = document.indexOf(TRACE_ID_KEY) + TRACE_ID_KEY.length;
  return document.slice(at, document.indexOf('"', at));
}

const PARENT_ID_FIELD = ',"parentId":"';
const ID_FIELD = ',"id":"';
const KIND_FIELD = ',"kind":"';
const NAME_FIELD = ',"name":"';
const TIMESTAMP_FIELD = ',"timestamp":';
const DURATION_FIELD = ',"duration":';
const BACKSLASH = 0x5c;

/** What a waiting span's document gives back at flush instead of being held beside it. */
export interface DocumentHead {
  id: string;
  /** '' for a root. */
  parentId: string;
  /** '' when absent. */
  name: string;
  /** µs, 0 when absent (the document holds it truncated, as Zipkin stores it). */
  timestamp: number;
  /** µs, 0 when absent. */
  duration: number;
}

/**
 * The span and parent IDs, name, timestamp and duration of a span document, without parsing it,
 * into `into` (a waiting span at flush: no object per span). `spanDocument` writes them right after
 * the trace ID in this order, each optional but the ID (the parent is omitted for a root;
 * normalisation has already dropped a parent equal to the span's own ID), with the kind between ID
 * and name. No string before them holds an unescaped quote, and each field is read where it must
 * start, so names, tags and search terms that imitate the fields are never taken for them. `head`
 * is `SpanDocument.head` when known (the search stops there), else negative.
 */
export function readHead(document: string, into: DocumentHead, head = -1): void {
  let at = document.indexOf('"', (head >= 0 ? head : document.indexOf(TRACE_ID_KEY)) + TRACE_ID_KEY.length) + 1;
  let parentId = '';
  if (document.startsWith(PARENT_ID_FIELD, at)) {
    const from = at + PARENT_ID_FIELD.length;
    at = document.indexOf('"', from);
    parentId = document.slice(from, at);
    at++;
  }
  let from = at + ID_FIELD.length;
  at = document.indexOf('"', from);
  const id = document.slice(from, at);
  at++;
  if (document.startsWith(KIND_FIELD, at)) at = document.indexOf('"', at + KIND_FIELD.length) + 1;
  let name = '';
  if (document.startsWith(NAME_FIELD, at)) {
    from = at + NAME_FIELD.length;
    at = closingQuote(document, from);
    name = document.slice(from, at);
    // Escaped by `quote` as JSON requires: JSON.parse reads it back exactly (lone surrogates too).
    if (name.indexOf('\\') >= 0) name = JSON.parse(document.slice(from - 1, at + 1)) as string;
    at++;
  }
  let timestamp = 0;
  if (document.startsWith(TIMESTAMP_FIELD, at)) {
    at += TIMESTAMP_FIELD.length;
    const end = integerEnd(document, at);
    timestamp = integerOf(document, at, end);
    at = end;
  }
  let duration = 0;
  if (document.startsWith(DURATION_FIELD, at)) {
    at += DURATION_FIELD.length;
    duration = integerOf(document, at, integerEnd(document, at));
  }
  into.id = id;
  into.parentId = parentId;
  into.name = name;
  into.timestamp = timestamp;
  into.duration = duration;
}

/** The non-negative integer written in `s` from `from` to `end`, as `Number` reads it, without a substring. */
function integerOf(s: string, from: number, end: number): number {
  let n = 0;
  for (let at = from; at < end; at++) n = n * 10 + (s.charCodeAt(at) - 0x30);
  // Every partial sum is at most the total: exact while that is a safe integer. Beyond (never, short
  // of garbage times) the digits are read as Number reads them.
  return n <= Number.MAX_SAFE_INTEGER ? n : Number(s.slice(from, end));
}

/** The index of the quote that closes the JSON string whose first character is at `from`. */
function closingQuote(s: string, from: number): number {
  let at = s.indexOf('"', from);
  for (;;) {
    // The quote is escaped when an odd number of backslashes precede it.
    let slashes = 0;
    while (s.charCodeAt(at - 1 - slashes) === BACKSLASH) slashes++;
    if ((slashes & 1) === 0) return at;
    at = s.indexOf('"', at + 1);
  }
}

/** Where the digits of the integer starting at `from` end. */
function integerEnd(s: string, from: number): number {
  let at = from;
  for (;;) {
    const c = s.charCodeAt(at);
    if (c < 0x30 || c > 0x39) return at;
    at++;
  }
}

/**
 * The document of the same span with tag `key` set to `value`, byte for byte what `spanDocument`
 * makes of the span carrying that tag (`_q` included). Every kept span of a sampled trace takes this
 * path (the policy's tag), so the tag is spliced into the document's text where `spanDocument` would
 * have put it; a document the splice cannot read for sure (an escape in or after its tags, the tag
 * already present) is parsed and encoded again.
 */
export function withTag(document: string, key: string, value: string, searchEnabled: boolean): string {
  return splicedTag(document, key, value, searchEnabled) ?? reencodedWithTag(document, key, value, searchEnabled);
}

const TAGS_FIELD = ',"tags":{';
const SEARCH_TERMS_FIELD = '"_q":[';
const DEBUG_SUFFIX = ',"debug":true';
const SHARED_SUFFIX = ',"shared":true';
const QUOTE = 0x22;
const COMMA = 0x2c;

/**
 * `withTag` by splicing, or undefined. Sound because no string in a document holds an unescaped
 * quote: `,"tags":{` occurs only as the field itself, and with no backslash from there on, every
 * tag key and value is its raw text between two quotes (no escape changed its length or order).
 */
function splicedTag(document: string, key: string, value: string, searchEnabled: boolean): string | undefined {
  const pair = quote(key) + ':' + quote(value);
  if (pair.length !== key.length + value.length + 5) return undefined;
  let tagAt: number;
  let tagText: string;
  // Tags after the new one whose terms are in `_q`: the new terms go before theirs.
  let shortAfter = 0;
  const tags = document.lastIndexOf(TAGS_FIELD);
  if (tags < 0) {
    // No tags: the object goes where spanDocument writes it, before `debug` and `shared`.
    let end = document.length - 1;
    if (document.startsWith(SHARED_SUFFIX, end - SHARED_SUFFIX.length)) end -= SHARED_SUFFIX.length;
    if (document.startsWith(DEBUG_SUFFIX, end - DEBUG_SUFFIX.length)) end -= DEBUG_SUFFIX.length;
    tagAt = end;
    tagText = TAGS_FIELD + pair + '}';
  } else {
    if (document.indexOf('\\', tags) >= 0) return undefined;
    tagAt = -1;
    tagText = '';
    let at = tags + TAGS_FIELD.length;
    while (document.charCodeAt(at) === QUOTE) {
      const keyEnd = document.indexOf('"', at + 1);
      const k = document.slice(at + 1, keyEnd);
      if (k === key) return undefined;
      const valueEnd = document.indexOf('"', keyEnd + 3);
      if (k > key) {
        if (tagAt < 0) tagAt = at;
        if (k.length + (valueEnd - keyEnd - 3) + 1 <= SHORT_STRING_LENGTH) shortAfter++;
      }
      at = valueEnd + 1;
      if (document.charCodeAt(at) === COMMA) at++;
    }
    if (tagAt < 0) {
      tagAt = at;
      tagText = ',' + pair;
    } else {
      tagText = pair + ',';
    }
  }
  if (!searchEnabled) return document.slice(0, tagAt) + tagText + document.slice(tagAt);
  const short = key.length + value.length + 1 <= SHORT_STRING_LENGTH;
  const terms = '"' + key + '","' + key + '=' + value + '"';
  let termAt: number;
  let termText: string;
  const traceId = document.indexOf(TRACE_ID_KEY);
  const q = document.startsWith(SEARCH_TERMS_FIELD, 1) ? 1 : document.indexOf(',' + SEARCH_TERMS_FIELD) + 1;
  if (q <= 0 || q > traceId) {
    // No annotation and no tag before: `_q` appears, just before the trace ID (empty for a long tag).
    termAt = traceId;
    termText = SEARCH_TERMS_FIELD + (short ? terms : '') + '],';
  } else if (!short) {
    return document.slice(0, tagAt) + tagText + document.slice(tagAt);
  } else {
    // Element starts, so the terms go 2 × shortAfter elements from the end.
    const starts: number[] = [];
    let at = q + SEARCH_TERMS_FIELD.length;
    while (document.charCodeAt(at) === QUOTE) {
      starts.push(at);
      at = closingQuote(document, at + 1) + 1;
      if (document.charCodeAt(at) === COMMA) at++;
    }
    const before = starts.length - 2 * shortAfter;
    if (before < 0) return undefined;
    if (before < starts.length) {
      termAt = starts[before] as number;
      termText = terms + ',';
    } else {
      termAt = at;
      termText = starts.length === 0 ? terms : ',' + terms;
    }
  }
  return document.slice(0, termAt) + termText + document.slice(termAt, tagAt) + tagText + document.slice(tagAt);
}

function reencodedWithTag(document: string, key: string, value: string, searchEnabled: boolean): string {
  const span = JSON.parse(document) as Span & { timestamp_millis?: number; _q?: string[] };
  delete span.timestamp_millis;
  delete span._q;
  span.tags = { ...span.tags, [key]: value };
  return spanDocument(span, searchEnabled);
}
