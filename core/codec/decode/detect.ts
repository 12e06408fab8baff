/**
 * Per-message encoding detection, exactly as Zipkin's Kafka collector does it
 * (KafkaCollectorWorker + SpanBytesDecoderDetector; ../shared/notes/zipkin-formats.md B.8), so
 * anything Zipkin accepts from Kafka, tracefold accepts too.
 */
import type { Encoding } from '../../model/span.js';

export type Detected =
  | { kind: 'empty' }
  | { kind: 'too_short' }
  | { kind: 'single-thrift' }
  | { kind: 'list'; encoding: Encoding }
  | { kind: 'unknown'; reason: string };

const ENDPOINT_QUOTE = [0x45, 0x6e, 0x64, 0x70, 0x6f, 0x69, 0x6e, 0x74, 0x22]; // Endpoint"
const TAGS_QUOTED = [0x22, 0x74, 0x61, 0x67, 0x73, 0x22]; // "tags"

function contains(bytes: Uint8Array, needle: readonly number[]): boolean {
  const first = needle[0] as number;
  const n = needle.length;
  const last = bytes.length - n;
  for (let i = bytes.indexOf(first); i >= 0 && i <= last; i = bytes.indexOf(first, i + 1)) {
    let j = 1;
    while (j < n && bytes[i + j] === needle[j]) j++;
    if (j === n) return true;
  }
  return false;
}

function isProto3(bytes: Uint8Array): boolean {
  // Field 1 (ListOfSpans.spans), wire type 2, then a non-zero length. A v1 Thrift span starts
  // 0x0A 0x00 0x01 (i64 field id 1), which is why the second byte tells them apart.
  return bytes[0] === 10 && bytes[1] !== 0;
}

export function detect(bytes: Uint8Array): Detected {
  if (bytes.length === 0) return { kind: 'empty' };
  if (bytes.length < 2) return { kind: 'too_short' };
  const first = bytes[0] as number;
  if (!isProto3(bytes) && first <= 16 && first !== 12) return { kind: 'single-thrift' };
  if (first <= 16) return { kind: 'list', encoding: isProto3(bytes) ? 'proto3' : 'thrift' };
  if (first !== 0x5b /* [ */) {
    if (first === 0x7b /* { */)
      return { kind: 'unknown', reason: 'Expected json, proto3 or thrift list encoding (a bare JSON object is not a span list)' };
    // Tolerate leading JSON whitespace, which Zipkin would reject: salvage, don't drop.
    let i = 0;
    while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
    if (i === 0 || bytes[i] !== 0x5b) return { kind: 'unknown', reason: 'Could not detect the span format' };
  }
  if (contains(bytes, ENDPOINT_QUOTE) || contains(bytes, TAGS_QUOTED)) return { kind: 'list', encoding: 'json-v2' };
  return { kind: 'list', encoding: 'json-v1' };
}
