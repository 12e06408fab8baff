/**
 * Limits shared by the JSON v2 and Proto3 decoders, and the bounded per-span error list: a hostile
 * message of millions of tiny broken spans must not turn into millions of error objects.
 */
import type { DecodeError, DecodeErrorCode, Encoding } from '../../model/span.js';

export interface DecodeOptions {
  /** Messages longer than this are rejected whole with `too_large`. Default 16 MiB. */
  maxBytes?: number;
  /**
   * At most this many per-span errors are listed; the rest are folded into one final error whose
   * reason carries the count. Default 100.
   */
  maxErrors?: number;
}

export const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;
export const DEFAULT_MAX_ERRORS = 100;

/** The result for a message that failed as a whole (index -1). */
export function messageError(encoding: Encoding, code: DecodeErrorCode, offset: number, reason: string): DecodeError {
  return { encoding, index: -1, offset, code, reason };
}

export class SpanErrors {
  readonly list: DecodeError[] = [];
  private suppressed = 0;
  private firstSuppressed: DecodeError | undefined;

  constructor(
    private readonly encoding: Encoding,
    private readonly max: number,
  ) {}

  /** True once the list is full: callers may skip computing an exact offset. */
  get full(): boolean {
    return this.list.length >= this.max;
  }

  add(index: number, offset: number, code: DecodeErrorCode, reason: string): void {
    const err: DecodeError = { encoding: this.encoding, index, offset, code, reason };
    if (this.list.length < this.max) this.list.push(err);
    else if (this.suppressed++ === 0) this.firstSuppressed = err;
  }

  /** The listed errors plus, if the cap was hit, the first unlisted one carrying the count. */
  finish(): DecodeError[] {
    const first = this.firstSuppressed;
    if (first !== undefined) {
      const more = this.suppressed - 1;
      first.reason += more > 0 ? ` (and ${more} more span errors not listed: maxErrors=${this.max})` : '';
      this.list.push(first);
    }
    return this.list;
  }
}
