/**
 * The decode stage for one Kafka record (or HTTP body): size limit, format detection and decoding
 * (core/codec), and what the record costs in dead letters. A record with some bad spans keeps its
 * good spans; the whole record still goes to the dead-letter topic with the first reason.
 */
import { decodeMessage } from '../../core/codec/decode/index.js';
import type { Encoding, Span } from '../../core/model/span.js';

export interface RecordProblem {
  code: string;
  /** One line for humans: the first error and how many there were. */
  reason: string;
  /** The first error's own reason. */
  firstReason: string;
  encoding: Encoding | 'unknown';
}

export interface DecodedRecord {
  encoding: Encoding | 'unknown';
  spans: Span[];
  /** Set when the record goes to the dead-letter topic. */
  problem: RecordProblem | undefined;
  /** Decode errors found (each is counted by encoding and code). */
  errors: ReadonlyArray<{ encoding: string; code: string }>;
}

const NO_ERRORS: ReadonlyArray<{ encoding: string; code: string }> = [];

export function decodeRecord(value: Uint8Array, maxMessageBytes: number, encoding?: Encoding): DecodedRecord {
  if (value.length > maxMessageBytes) {
    const reason = `record of ${value.length} bytes exceeds maxMessageBytes`;
    return {
      encoding: 'unknown',
      spans: [],
      problem: { code: 'too_large', reason, firstReason: reason, encoding: 'unknown' },
      errors: [{ encoding: 'unknown', code: 'too_large' }],
    };
  }
  const result = decodeMessage(value, encoding);
  if (result.errors.length === 0) return { encoding: result.encoding, spans: result.spans, problem: undefined, errors: NO_ERRORS };
  const first = result.errors[0] as (typeof result.errors)[number];
  const reason = result.errors.length === 1 ? first.reason : `${result.errors.length} errors; first: ${first.reason}`;
  return {
    encoding: result.encoding,
    spans: result.spans,
    problem: { code: first.code, reason, firstReason: first.reason, encoding: result.encoding },
    errors: result.errors,
  };
}
