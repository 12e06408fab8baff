/**
 * The decode stage: one Kafka record value in, normalised spans and per-span errors out.
 * Never throws: a decoder bug surfaces as a `malformed` error for the message, not a crash.
 */
import type { DecodeResult, Encoding } from '../../model/span.js';
import { detectAs } from './detect.js';
import { decodeJsonV1 } from './json-v1.js';
import { decodeJsonV2 } from './json-v2.js';
import { decodeOtlpJson } from './otlp-json.js';
import { decodeOtlpProto } from './otlp-proto.js';
import { decodeProto3 } from './proto3.js';
import { decodeThriftList, decodeThriftSpan } from './thrift.js';

export { detect, detectAs } from './detect.js';

/** Decodes one message; `encoding` (a topic's configured encoding) skips detection. */
export function decodeMessage(bytes: Uint8Array, encoding?: Encoding): DecodeResult {
  const d = detectAs(bytes, encoding);
  try {
    switch (d.kind) {
      case 'empty':
        return { encoding: 'unknown', spans: [], errors: [] };
      case 'too_short':
        return {
          encoding: 'unknown',
          spans: [],
          errors: [{ encoding: 'unknown', index: -1, offset: 0, code: 'too_short', reason: 'message shorter than 2 bytes' }],
        };
      case 'unknown':
        return {
          encoding: 'unknown',
          spans: [],
          errors: [{ encoding: 'unknown', index: -1, offset: 0, code: 'unknown_format', reason: d.reason }],
        };
      case 'single-thrift': {
        const one = decodeThriftSpan(bytes);
        // Zipkin routes a list whose type byte is the historic typo 11 to the single-span decoder,
        // which fails on it; salvage it as the list it is.
        if (one.spans.length === 0 && bytes[0] === 11) {
          const list = decodeThriftList(bytes);
          if (list.spans.length > 0) return list;
        }
        return one;
      }
      case 'list':
        switch (d.encoding) {
          case 'json-v2':
            return decodeJsonV2(bytes);
          case 'json-v1':
            return decodeJsonV1(bytes);
          case 'proto3':
            return decodeProto3(bytes);
          case 'thrift':
            return decodeThriftList(bytes);
          case 'otlp-proto':
            return decodeOtlpProto(bytes);
          case 'otlp-json':
            return decodeOtlpJson(bytes);
        }
    }
  } catch (err) {
    const encoding = d.kind === 'list' ? d.encoding : d.kind === 'single-thrift' ? 'thrift' : 'unknown';
    return {
      encoding,
      spans: [],
      errors: [{ encoding, index: -1, offset: 0, code: 'malformed', reason: `decoder failure: ${(err as Error).message}` }],
    };
  }
}
