/**
 * `zipkin-dependency-YYYY-MM-DD` documents in the format Zipkin's Elasticsearch reader parses
 * (`JsonSerializers.DEPENDENCY_LINK_PARSER`: `parent`, `child`, `callCount`, `errorCount`; the
 * `id` field `parent|child` is what zipkin-dependencies writes, kept for tools that read it).
 * The reader sums every document of the days it is asked for, so a window's group may be spread
 * over many documents; the `_id` makes rewriting the same group an overwrite (see windows.ts).
 */
import { createHash } from 'node:crypto';
import { formatDay, indexName } from '../../core/elasticsearch/index-name.js';
import { actionLine } from '../encode/es-index.js';
import { quote } from '../encode/json-string.js';
import type { DependencyGroup } from './windows.js';

export interface DependencyIndexSettings {
  /** ES_INDEX, e.g. `zipkin`. */
  prefix: string;
  /** `-` (ES ≥ 7, OpenSearch) or `:` (ES < 7). */
  delimiter: string;
  /** ES_DATE_SEPARATOR (`-` by default; empty or `\0` for none). */
  dateSeparator: string;
  /** The engine still has mapping types (ES 6): the action names `_type: dependency`. */
  supportsTypes: boolean;
}

export interface DependencyDocument {
  index: string;
  id: string;
  parent: string;
  child: string;
  callCount: number;
  errorCount: number;
}

/** Same group in, same `_id`s out; two different groups never share an `_id`. */
export function dependencyDocuments(group: DependencyGroup, s: DependencyIndexSettings): DependencyDocument[] {
  const index = indexName(s.prefix, s.delimiter, 'dependency', formatDay(group.windowStart, s.dateSeparator));
  return group.links.map((l) => ({
    index,
    id: documentId(group, l.parent, l.child),
    parent: l.parent,
    child: l.child,
    callCount: l.callCount,
    errorCount: l.errorCount,
  }));
}

function documentId(group: DependencyGroup, parent: string, child: string): string {
  // Hashed: service names are free text and `_id` is limited to 512 bytes.
  const h = createHash('sha256');
  h.update(`${group.windowStart}\u0000${group.traces}\u0000${group.digest}\u0000${parent}\u0000${child}`);
  return h.digest('hex').slice(0, 40);
}

/** The NDJSON `_bulk` body lines (action + source) for some documents. */
export function dependencyBulkLines(docs: readonly DependencyDocument[], supportsTypes: boolean): string {
  let out = '';
  for (const d of docs) {
    out += actionLine(d.index, supportsTypes ? 'dependency' : undefined, d.id) + '\n';
    out +=
      '{"id":' +
      quote(d.parent + '|' + d.child) +
      ',"parent":' +
      quote(d.parent) +
      ',"child":' +
      quote(d.child) +
      ',"callCount":' +
      d.callCount +
      ',"errorCount":' +
      d.errorCount +
      '}\n';
  }
  return out;
}
