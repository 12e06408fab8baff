/**
 * One log line in, spans or a dead-letter reason out. Services log one span (`{…}`) or one JSON
 * array of spans (`[…]`) per line, in Zipkin JSON v2 or v1; the encoding is detected per line
 * because one file may hold output of several tracer versions. Never throws: a bad line becomes a
 * reason the shipper sends to the dead-letter topic with its file and offset, so nothing is lost.
 */
import { decodeMessage } from '../../core/codec/decode/index.js';
import type { Span } from '../../core/model/span.js';

export type LineResult = { ok: true; spans: Span[] } | { ok: false; reason: string };

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;

function firstNonSpace(line: Uint8Array): number {
  let i = 0;
  while (i < line.length && (line[i] === 0x20 || line[i] === 0x09 || line[i] === 0x0d)) i++;
  return i;
}

export function decodeLine(line: Uint8Array): LineResult {
  const start = firstNonSpace(line);
  if (start === line.length) return { ok: true, spans: [] };
  const first = line[start];
  let list: Uint8Array;
  if (first === OPEN_BRACKET) {
    list = line.subarray(start);
  } else if (first === OPEN_BRACE) {
    // The Kafka-style detector and the JSON decoders read lists: wrap a lone span as a list of one.
    const body = line.subarray(start);
    list = new Uint8Array(body.length + 2);
    list[0] = OPEN_BRACKET;
    list.set(body, 1);
    list[list.length - 1] = 0x5d;
  } else {
    return { ok: false, reason: `line is neither a JSON span nor a JSON array of spans (starts with byte 0x${(first ?? 0).toString(16)})` };
  }
  const result = decodeMessage(list);
  if (result.encoding !== 'json-v2' && result.encoding !== 'json-v1' && result.encoding !== 'unknown') {
    return { ok: false, reason: `unexpected encoding ${result.encoding} for a JSON line` };
  }
  if (result.errors.length > 0) {
    const e = result.errors[0];
    return { ok: false, reason: `${e?.code ?? 'malformed'}: ${e?.reason ?? 'undecodable'} (${result.errors.length} error(s))` };
  }
  return { ok: true, spans: result.spans };
}
