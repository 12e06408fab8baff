/** Test and benchmark traffic: the shared real traces, and copies of them with fresh IDs. */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { decodeJsonV2 } from '../../core/codec/decode/json-v2.js';
import type { Span } from '../../core/model/span.js';
import { createPrng, type Prng } from './prng.js';

export const SHARED_TRACES_DIR = resolve(process.env.TRACEFOLD_SAMPLES ?? join(import.meta.dirname, '../../../shared/testdata/zipkin-v2'));

export interface TraceFile {
  name: string;
  spans: Span[];
}

/** Every shared trace, normalised as tracefold decodes them (single-span files become lists). */
export function sharedTraces(): TraceFile[] {
  const names = readdirSync(SHARED_TRACES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort();
  if (names.length === 0) throw new Error(`no shared traces in ${SHARED_TRACES_DIR}`);
  return names.map((name) => {
    let bytes = readFileSync(join(SHARED_TRACES_DIR, name));
    if (bytes.toString('utf8').trimStart().startsWith('{')) bytes = Buffer.concat([Buffer.from('['), bytes, Buffer.from(']')]);
    const result = decodeJsonV2(bytes);
    if (result.errors.length > 0) throw new Error(`${name}: ${result.errors[0]?.reason}`);
    return { name, spans: result.spans };
  });
}

/**
 * Copies of a trace with new trace and span IDs (parent links kept), so many distinct traces can
 * be made from one real shape. Deterministic for a seed.
 */
export function copyTrace(spans: readonly Span[], prng: Prng, timeShiftMicros = 0): Span[] {
  const traceId = prng.hex(spans[0]?.traceId.length === 32 ? 32 : 16);
  const ids = new Map<string, string>();
  const idFor = (id: string): string => {
    let n = ids.get(id);
    if (n === undefined) {
      n = prng.hex(16);
      ids.set(id, n);
    }
    return n;
  };
  return spans.map((s) => {
    const c: Span = { ...s, traceId, id: idFor(s.id) };
    if (s.parentId !== undefined) c.parentId = idFor(s.parentId);
    if (timeShiftMicros !== 0) {
      if (s.timestamp !== undefined) c.timestamp = s.timestamp + timeShiftMicros;
      if (s.annotations) c.annotations = s.annotations.map((a) => ({ timestamp: a.timestamp + timeShiftMicros, value: a.value }));
    }
    return c;
  });
}

/** `copies` distinct traces made from each shared trace. */
export function syntheticTraces(copies: number, seed = 42): Span[][] {
  const prng = createPrng(seed);
  const base = sharedTraces();
  const out: Span[][] = [];
  for (let i = 0; i < copies; i++) for (const t of base) out.push(copyTrace(t.spans, prng));
  return out;
}
