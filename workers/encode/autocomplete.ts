/**
 * Autocomplete documents (zipkin-formats.md B.5): for each tag whose key is in `autocompleteKeys`,
 * `{"tagKey":k,"tagValue":v}` with `_id` `k=v` in `{prefix}{delim}autocomplete-{day}` (the span's
 * day). Written only when search is enabled and `k.length + v.length + 1 ≤ 256`.
 *
 * Suppression: once a (day, k, v) was handed out it is not written again for `ttlMs`
 * (Zipkin's `DelayLimiter`), the cache holds at most `cardinality` entries (oldest evicted
 * first), and a failed write releases the entry so the next span writes it again.
 * Zipkin keys its limiter by the span's exact millisecond; we key by day, which is what the
 * document's identity (index + `_id`) actually is, so repeats are suppressed far more often.
 */

import { indexName } from '../../core/elasticsearch/index-name.js';
import type { Span } from '../../core/model/span.js';
import { actionLine, indexDay } from './es-index.js';
import { quote } from './json-string.js';

const SHORT_STRING_LENGTH = 256;

export interface AutocompleteSettings {
  index: string;
  indexTypeDelimiter: string;
  dateSeparator: string;
  supportsTypes: boolean;
  searchEnabled: boolean;
  autocompleteKeys: readonly string[];
  autocompleteTtlMs: number;
  autocompleteCardinality: number;
}

/** One autocomplete bulk item and the suppression key to `release` if it is not written. */
export interface AutocompleteDoc {
  lines: string;
  key: string;
}

export class AutocompleteTracker {
  readonly #settings: AutocompleteSettings;
  readonly #keys: ReadonlySet<string>;
  /** suppression key → expiry (ms). A Map iterates in insertion order, which is expiry order. */
  readonly #suppressed = new Map<string, number>();

  constructor(settings: AutocompleteSettings) {
    this.#settings = settings;
    this.#keys = new Set(settings.autocompleteKeys);
  }

  /** Entries currently suppressing a write (bounded by `autocompleteCardinality`). */
  get size(): number {
    return this.#suppressed.size;
  }

  /**
   * Appends to `out` the autocomplete items `span` needs that are not suppressed, and suppresses
   * them. Returns how many were appended. Allocates nothing when nothing is due.
   */
  collect(span: Span, out: AutocompleteDoc[], nowMs: number = Date.now()): number {
    const s = this.#settings;
    const tags = span.tags;
    if (!s.searchEnabled || tags === undefined || this.#keys.size === 0) return 0;
    let added = 0;
    let day: string | undefined;
    for (const k in tags) {
      if (!this.#keys.has(k)) continue;
      const v = tags[k] as string;
      if (k.length + v.length + 1 > SHORT_STRING_LENGTH) continue;
      if (day === undefined) {
        day = indexDay(span, s.dateSeparator, nowMs);
        this.#expire(nowMs);
      }
      const key = day + '\0' + k + '\0' + v;
      if (this.#suppressed.has(key)) continue;
      this.#suppress(key, nowMs);
      const index = indexName(s.index, s.indexTypeDelimiter, 'autocomplete', day);
      const id = k + '=' + v;
      const doc = '{"tagKey":' + quote(k) + ',"tagValue":' + quote(v) + '}';
      out.push({ lines: actionLine(index, s.supportsTypes ? 'autocomplete' : undefined, id) + '\n' + doc + '\n', key });
      added++;
    }
    return added;
  }

  /** The write of this item failed: let the next span carrying it write it again. */
  release(key: string): void {
    this.#suppressed.delete(key);
  }

  #suppress(key: string, nowMs: number): void {
    this.#suppressed.set(key, nowMs + this.#settings.autocompleteTtlMs);
    const cap = Math.max(0, this.#settings.autocompleteCardinality);
    while (this.#suppressed.size > cap) {
      const eldest = this.#suppressed.keys().next();
      if (eldest.done === true) break;
      this.#suppressed.delete(eldest.value);
    }
  }

  #expire(nowMs: number): void {
    for (const [key, expiry] of this.#suppressed) {
      if (expiry > nowMs) break;
      this.#suppressed.delete(key);
    }
  }
}
