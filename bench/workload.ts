/**
 * The sampling workload (issue #11's acceptance): N traces made from the shared real traces, re-IDed
 * and moved to now, where most repeat a few shapes, a known few carry errors or are slow outliers,
 * and a tail of rare shapes appears a few times each. Every trace is labelled with what it is, so a
 * test or a bench phase can check what a sampling config stored against what it had to store.
 *
 * Mix (fractions of traces, deterministic for a seed):
 *  - common (95 %): copies of the error-free small shared traces, durations jittered ±10 %;
 *  - error (2 %): common copies with an `error` tag on one span (same shape as their common twin);
 *  - slow (1 %): common copies stretched 20× in time;
 *  - rare (2 %): variants of the common traces with one span renamed `variant-<k>` (`rareShapes`
 *    distinct shapes, each repeated), plus one copy of every other shared trace.
 * Each trace's root span name is prefixed with its shape (`<shape>:`), so the Zipkin API finds the
 * traces of one shape by span name.
 */
import { join } from 'node:path';
import { ENCODERS } from '../core/codec/formats.js';
import type { Span, ZipkinEncoding } from '../core/model/span.js';
import { loadConfig } from '../src/config/load.js';
import type { Config } from '../src/config/schema.js';
import { toStageSettings } from '../src/config/worker-settings.js';
import { createPrng, type Prng } from '../test/helpers/prng.js';
import { copyTrace } from '../test/helpers/traffic.js';
import type { SampleSettings } from '../workers/protocol.js';
import { type BaseTrace, loadBaseTraces, type Messages, repoRoot } from './traffic.js';

export type TraceClass = 'common' | 'error' | 'slow' | 'rare';

export interface LabelledTrace {
  class: TraceClass;
  /** Shape label: the base trace's name, plus `/variant-<k>` for rare variants. */
  shape: string;
  traceId: string;
  spans: Span[];
}

export interface WorkloadOptions {
  traces: number;
  seed?: number;
  /** Distinct rare variant shapes. [40] */
  rareShapes?: number;
  /** Epoch µs the traces start around (default: now). */
  nowMicros?: number;
}

/** Shared traces small and error-free enough to be the common shapes. */
const COMMON = new Set(['ascend.json', 'messaging.json', 'simple-db-p6.json', 'messaging2.json', 'envoy.json', 'zipkin2-client.json']);

function hasError(spans: readonly Span[]): boolean {
  return spans.some((s) => s.tags?.error !== undefined);
}

function rootOf(spans: readonly Span[]): Span {
  const ids = new Set(spans.map((s) => s.id));
  return spans.find((s) => s.parentId === undefined || !ids.has(s.parentId)) ?? (spans[0] as Span);
}

/** A copy of `base` moved to `at` (µs), time-scaled by `scale` around its start, with fresh IDs. */
function copyAt(base: BaseTrace, prng: Prng, at: number, scale: number): Span[] {
  const spans = copyTrace(base.spans, prng, 0);
  for (const s of spans) {
    if (s.timestamp !== undefined) s.timestamp = Math.max(1, Math.round(at + (s.timestamp - base.minTs) * scale));
    if (s.duration !== undefined) s.duration = Math.max(1, Math.round(s.duration * scale));
    if (s.annotations)
      s.annotations = s.annotations.map((a) => ({
        timestamp: Math.max(1, Math.round(at + (a.timestamp - base.minTs) * scale)),
        value: a.value,
      }));
  }
  return spans;
}

function labelRoot(spans: Span[], shape: string): void {
  const root = rootOf(spans);
  root.name = `${shape}:${root.name ?? ''}`;
}

export function samplingWorkload(opts: WorkloadOptions): LabelledTrace[] {
  const prng = createPrng(opts.seed ?? 11);
  const all = loadBaseTraces();
  const common = all.filter((b) => COMMON.has(b.name) && !hasError(b.spans));
  const others = all.filter((b) => !common.includes(b));
  if (common.length === 0) throw new Error('sampling workload: none of the common shared traces was found');
  const rareShapes = opts.rareShapes ?? 40;
  const now = opts.nowMicros ?? Date.now() * 1000;
  const out: LabelledTrace[] = [];
  const n = opts.traces;
  const nRare = Math.max(rareShapes + others.length, Math.round(n * 0.02));
  const nError = Math.round(n * 0.02);
  const nSlow = Math.round(n * 0.01);
  const push = (cls: TraceClass, shape: string, spans: Span[]): void => {
    labelRoot(spans, shape);
    out.push({ class: cls, shape, traceId: (spans[0] as Span).traceId, spans });
  };
  // Spread start times over the last minute so every trace lands in today's index and the slow
  // policy sees a realistic mix of roots.
  const at = (): number => now - Math.floor(prng.next() * 60_000_000);
  for (const b of others) push('rare', b.name, copyAt(b, prng, at(), 1));
  for (let i = others.length; i < nRare; i++) {
    const k = i % rareShapes;
    const b = common[k % common.length] as BaseTrace;
    const spans = copyAt(b, prng, at(), 0.9 + prng.next() * 0.2);
    const target = spans[spans.length - 1] as Span;
    target.name = `variant-${k}`;
    push('rare', `${b.name}/variant-${k}`, spans);
  }
  for (let i = 0; i < nError; i++) {
    const b = common[i % common.length] as BaseTrace;
    const spans = copyAt(b, prng, at(), 0.9 + prng.next() * 0.2);
    const s = spans[prng.int(spans.length)] as Span;
    s.tags = { ...s.tags, error: 'workload error' };
    push('error', b.name, spans);
  }
  for (let i = 0; i < nSlow; i++) {
    const b = common[i % common.length] as BaseTrace;
    push('slow', b.name, copyAt(b, prng, at(), 20));
  }
  for (let i = out.length; i < n; i++) {
    const b = common[i % common.length] as BaseTrace;
    push('common', b.name, copyAt(b, prng, at(), 0.9 + prng.next() * 0.2));
  }
  // Interleave classes as real traffic would: outliers arrive among the ordinary ones.
  for (let i = out.length - 1; i > 0; i--) {
    const j = prng.int(i + 1);
    const t = out[i] as LabelledTrace;
    out[i] = out[j] as LabelledTrace;
    out[j] = t;
  }
  return out;
}

/** The example sampling policies shipped in config/recommended.yaml, read by the config loader as workers receive them. */
export function exampleSampling(): SampleSettings {
  const file = join(repoRoot(), 'config', 'recommended.yaml');
  const result = loadConfig({ command: 'ingest', argv: ['--config', file], env: {} });
  if (!result.ok) throw new Error(`${file}: ${result.errors.join('; ')}`);
  const { sample } = toStageSettings(result.config as Config);
  if (sample.policies.length === 0) throw new Error(`${file}: no sampling policy`);
  return sample;
}

/** The workload as Kafka record values of up to `spansPerMessage` spans (a trace's spans in order). */
export function workloadMessages(
  workload: readonly LabelledTrace[],
  spansPerMessage: number,
  encoding: ZipkinEncoding = 'json-v2',
): Messages {
  const encode = ENCODERS[encoding];
  const values: Uint8Array[] = [];
  const counts: number[] = [];
  let spans = 0;
  let bytes = 0;
  for (const t of workload) {
    for (let i = 0; i < t.spans.length; i += spansPerMessage) {
      const chunk = t.spans.slice(i, i + spansPerMessage);
      const v = encode(chunk);
      values.push(v);
      counts.push(chunk.length);
      spans += chunk.length;
      bytes += v.length;
    }
  }
  return { values, counts, spans, bytes };
}
