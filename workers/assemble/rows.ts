/**
 * Row numbers for spans kept in columns (waiting.ts, link/rows.ts): a span that waits for its trace
 * is a row of parallel arrays, not an object. An object per buffered span lives for the quiet window,
 * so it is copied out of the young generation and marked in the old one; columns of numbers and
 * shared (interned) strings cost neither, and the short-lived record a stage reads at flush dies young.
 */
import { KIND_BY_NUMBER, type Kind, kindNumber } from '../../core/model/span.js';

/**
 * A row's kind and FACT_* flags (six bits) share one int32 column; the bits from ROW_BITS up are
 * the row type's own (waiting.ts: the index number; link/rows.ts: how its IDs are held).
 */
export const ROW_BITS = 9;

export function kindAndFlags(kind: Kind | '', flags: number): number {
  return kindNumber(kind) | (flags << 3);
}

export function kindOfBits(bits: number): Kind | '' {
  return KIND_BY_NUMBER[bits & 7] ?? '';
}

export function flagsOfBits(bits: number): number {
  return (bits >> 3) & 63;
}

export abstract class SpanRows {
  private readonly free: number[] = [];
  private rows = 0;
  /** Length of the typed columns; they grow together (`grow`). */
  protected capacity = 1024;

  /** Rows in use. */
  get size(): number {
    return this.rows - this.free.length;
  }

  /** A row number: a freed one if any, else the next, growing the typed columns when full. */
  protected take(): number {
    const row = this.free.pop();
    if (row !== undefined) return row;
    if (this.rows === this.capacity) {
      this.capacity *= 2;
      this.grow(this.capacity);
    }
    return this.rows++;
  }

  /** Hands a row back; the subclass has dropped what the row referenced. */
  protected give(row: number): void {
    this.free.push(row);
  }

  /** Reallocates every typed column to `capacity` rows (see `grown`). */
  protected abstract grow(capacity: number): void;
}

/** A typed column copied into one of `capacity` rows. */
export function grown<T extends Float64Array | Int32Array>(column: T, capacity: number): T {
  const next = new (column.constructor as new (n: number) => T)(capacity);
  next.set(column);
  return next;
}
