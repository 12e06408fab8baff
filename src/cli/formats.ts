/** The encoders by CLI name, shared by `encode` and `produce`. */

import { encodeJsonV1 } from '../../workers/encode/json-v1.js';
import { encodeJsonV2 } from '../../workers/encode/json-v2.js';
import { encodeProto3 } from '../../workers/encode/proto3.js';
import { encodeThrift } from '../../workers/encode/thrift.js';
import type { Encoding, Span } from '../model/span.js';

export const ENCODERS: Record<Encoding, (spans: readonly Span[]) => Uint8Array> = {
  'json-v2': encodeJsonV2,
  'json-v1': encodeJsonV1,
  thrift: encodeThrift,
  proto3: encodeProto3,
};

export function isEncoding(s: string): s is Encoding {
  return Object.hasOwn(ENCODERS, s);
}
