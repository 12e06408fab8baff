/** The encoders by CLI name, shared by `encode` and `produce`. */

import type { Span, ZipkinEncoding } from '../model/span.js';
import { encodeJsonV1 } from './encode/json-v1.js';
import { encodeJsonV2 } from './encode/json-v2.js';
import { encodeProto3 } from './encode/proto3.js';
import { encodeThrift } from './encode/thrift.js';

export const ENCODERS: Record<ZipkinEncoding, (spans: readonly Span[]) => Uint8Array> = {
  'json-v2': encodeJsonV2,
  'json-v1': encodeJsonV1,
  thrift: encodeThrift,
  proto3: encodeProto3,
};

export function isEncoding(s: string): s is ZipkinEncoding {
  return Object.hasOwn(ENCODERS, s);
}
