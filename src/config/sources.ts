/**
 * What every layer of the loader shares: where a raw value came from, and the report that collects
 * every problem so the load fails once, at the end, with all of them.
 */
import type { Raw } from './parse.js';
import type { Structured } from './records.js';

export type Source =
  | { readonly kind: 'file'; readonly file: string; readonly line: number }
  | { readonly kind: 'env'; readonly name: string }
  /** `name` as typed, with its dashes: `--topic` or `-t`. */
  | { readonly kind: 'flag'; readonly name: string }
  | { readonly kind: 'default' };

export function describe(source: Source): string {
  switch (source.kind) {
    case 'file':
      return `${source.file}:${source.line}`;
    case 'env':
      return `env ${source.name}`;
    case 'flag':
      return `flag ${source.name}`;
    case 'default':
      return 'default';
  }
}

/** One raw value from one source, before parsing. */
export interface Entry {
  /** Text, a list or a mapping; structured data only for records options read from the file. */
  readonly raw: Raw | Structured;
  readonly source: Source;
}

/** Collects problems; the load fails at the end if there is any, never at the first. */
export class Report {
  readonly errors: string[] = [];
  readonly warnings: string[] = [];
  error(message: string): void {
    this.errors.push(message);
  }
  warn(message: string): void {
    this.warnings.push(message);
  }
}
