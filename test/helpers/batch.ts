/**
 * A worker `batch` message as the Kafka source makes one: the records' values laid end to end in
 * one buffer, their ends and offsets beside them, and a fresh batch id.
 */
import type { BatchMessage } from '../../workers/protocol.js';

let nextBatchId = 0;

export function batchOf(values: readonly Uint8Array[], at: { partition?: number; firstOffset?: number } = {}): BatchMessage {
  const total = values.reduce((n, v) => n + v.length, 0);
  const data = new Uint8Array(total);
  const ends = new Uint32Array(values.length);
  let end = 0;
  values.forEach((v, i) => {
    data.set(v, end);
    end += v.length;
    ends[i] = end;
  });
  const first = at.firstOffset ?? 0;
  return {
    type: 'batch',
    batchId: ++nextBatchId,
    topic: 't',
    partition: at.partition ?? 0,
    data: data.buffer,
    ends,
    offsets: Float64Array.from(values, (_, i) => first + i),
  };
}
