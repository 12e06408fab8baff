/**
 * Phase 1, micro benchmarks (tinybench): each stage of the worker hot path alone, on one corpus of
 * the same spans in every encoding, with bare `JSON.parse` / `JSON.stringify` of the same data as
 * reference lines. One tinybench iteration processes the whole corpus, so a figure is
 * corpus spans (or bytes) / mean iteration time. The suite runs `runs` times, tasks interleaved,
 * and ratios are taken within a round (same machine state) before the median over rounds.
 */
import { Bench } from 'tinybench';
import { decodeMessage } from '../core/codec/decode/index.js';
import { decodeJsonV1 } from '../core/codec/decode/json-v1.js';
import { decodeJsonV2 } from '../core/codec/decode/json-v2.js';
import { decodeProto3 } from '../core/codec/decode/proto3.js';
import { decodeThriftList } from '../core/codec/decode/thrift.js';
import { ENCODERS } from '../core/codec/formats.js';
import { normalizeSpan, type RawSpan } from '../core/model/normalize.js';
import type { DecodeResult, Span, ZipkinEncoding } from '../core/model/span.js';
import { shardOf, traceHash } from '../workers/assemble/shard.js';
import { TraceWindows } from '../workers/assemble/windows.js';
import {
  bulkLines,
  type DocumentSettings,
  documentId,
  documentOf,
  type SpanDocument,
  spanBulkItem,
  spanDocument,
} from '../workers/encode/es-document.js';
import { encodeOtlpRequest } from './otlp-corpus.js';
import { pairedRatios, type Summary, summarize } from './stats.js';
import { type BaseTrace, MessageGen, TraceGen } from './traffic.js';

export interface MicroOptions {
  /** Spans in the corpus one iteration processes. */
  corpusSpans: number;
  spansPerMessage: number;
  /** tinybench time budget per task and round (ms). */
  timeMs: number;
  warmupMs: number;
  runs: number;
  progress: (line: string) => void;
}

export interface MicroRow {
  name: string;
  group: 'decode' | 'reference' | 'stage';
  /** What one unit is: spans, trace IDs, … */
  unit: string;
  perSec: Summary;
  /** Input (decode) or output (encode) bytes per second; absent when not meaningful. */
  bytesPerSec?: Summary;
}

export interface MicroRatio {
  name: string;
  goal: string;
  ratio: Summary;
  /** Absent when the ratio has no goal (printed for information). */
  met?: boolean;
}

export interface MicroResult {
  corpus: { spans: number; messages: number; spansPerMessage: number; bytesPerSpan: Record<ZipkinEncoding, number> };
  rows: MicroRow[];
  ratios: MicroRatio[];
}

const DOC: DocumentSettings = { index: 'zipkin', indexTypeDelimiter: '-', dateSeparator: '-', supportsTypes: false, searchEnabled: true };

const DECODERS: Record<ZipkinEncoding, { name: string; fn: (b: Uint8Array) => DecodeResult }> = {
  'json-v2': { name: 'decodeJsonV2', fn: (b) => decodeJsonV2(b) },
  'json-v1': { name: 'decodeJsonV1', fn: (b) => decodeJsonV1(b) },
  thrift: { name: 'decodeThriftList', fn: (b) => decodeThriftList(b) },
  proto3: { name: 'decodeProto3', fn: (b) => decodeProto3(b) },
};

const ENCODINGS: ZipkinEncoding[] = ['json-v2', 'json-v1', 'thrift', 'proto3'];

interface TaskDef {
  name: string;
  group: MicroRow['group'];
  unit: string;
  units: number;
  bytes?: number;
  fn: () => void;
}

/**
 * The clock: CPU time of this process (all its threads: GC and JIT helpers are part of the cost),
 * not wall time. The machine is shared; time spent descheduled is not the code's cost, and wall
 * clock figures swung 2x between identical runs under other load. Resolution 1 µs, iterations
 * take milliseconds.
 */
function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Keeps results alive so V8 cannot drop the work as dead code. */
let sink = 0;

export async function runMicro(bases: readonly BaseTrace[], opts: MicroOptions): Promise<MicroResult> {
  const nowMicros = Date.now() * 1000;
  const gen = new TraceGen(bases, { seed: 7, startMicros: () => nowMicros });
  // Cut the same spans into messages once, then encode those messages in every encoding.
  const jsonMessages = new MessageGen(gen, 'json-v2', opts.spansPerMessage).messages(opts.corpusSpans);
  // Held for the whole phase, so as structured clones, not the decoder's own objects: 5,000 spans
  // made by normalizeSpan and kept alive are what V8's allocation-site pretenuring counts, and
  // once it had tenured those sites every span any decoder made afterwards was allocated in old
  // space. That state halved the decode rows (json-v2 261k against 427k spans/s, proto3 365k
  // against 792k, in-thread path 120k against 142k) and is not the pipeline's: its workers hold
  // documents, not spans (its CPU per span is the same with --no-allocation-site-pretenuring,
  // 7.90 against 7.95 µs). The deserializer allocates clones at none of those sites.
  const spanLists: Span[][] = jsonMessages.values.map((v) => structuredClone(decodeJsonV2(v).spans));
  const spans = spanLists.flat();
  const messages = {} as Record<ZipkinEncoding, Uint8Array[]>;
  const bytesPerEncoding = {} as Record<ZipkinEncoding, number>;
  for (const e of ENCODINGS) {
    messages[e] = spanLists.map((l) => ENCODERS[e](l));
    bytesPerEncoding[e] = messages[e].reduce((n, m) => n + m.length, 0);
  }
  for (const e of ENCODINGS) {
    const back = messages[e].reduce((n, m) => n + decodeMessage(m).spans.length, 0);
    if (back !== spans.length) throw new Error(`micro corpus: ${e} decodes to ${back} spans, expected ${spans.length}`);
  }
  // OTLP protobuf requests of the same spans, decoded beside Zipkin Proto3 (the other protobuf).
  const otlpMessages = spanLists.map((l) => encodeOtlpRequest(l));
  const otlpBytes = otlpMessages.reduce((n, m) => n + m.length, 0);
  const otlpBack = otlpMessages.reduce((n, m) => n + decodeMessage(m).spans.length, 0);
  if (otlpBack !== spans.length) throw new Error(`micro corpus: otlp-proto decodes to ${otlpBack} spans, expected ${spans.length}`);
  const jsonBuffers = messages['json-v2'].map((m) => Buffer.from(m.buffer, m.byteOffset, m.byteLength));
  const rawObjects = jsonBuffers.flatMap((b) => JSON.parse(b.toString('utf8')) as RawSpan[]);
  const traceIds = spans.map((s) => s.traceId);
  const lines = spans.map((s) => bulkLines(s, DOC));
  const linesBytes = lines.reduce((n, l) => n + Buffer.byteLength(l), 0);
  const docs = spans.map((s) => spanDocument(s, true));
  const docBytes = docs.reduce((n, d) => n + Buffer.byteLength(d), 0);
  const stringifyBytes = spans.reduce((n, s) => n + Buffer.byteLength(JSON.stringify(s)), 0);
  const n = spans.length;

  const tasks: TaskDef[] = [];
  tasks.push({
    name: 'decode otlp-proto (decodeMessage)',
    group: 'decode',
    unit: 'spans',
    units: n,
    bytes: otlpBytes,
    fn: () => {
      for (const m of otlpMessages) sink += decodeMessage(m).spans.length;
    },
  });
  for (const e of ENCODINGS) {
    const ms = messages[e];
    tasks.push({
      name: `decode ${e} (decodeMessage)`,
      group: 'decode',
      unit: 'spans',
      units: n,
      bytes: bytesPerEncoding[e],
      fn: () => {
        for (const m of ms) sink += decodeMessage(m).spans.length;
      },
    });
    const d = DECODERS[e];
    tasks.push({
      name: `decode ${e} (${d.name})`,
      group: 'decode',
      unit: 'spans',
      units: n,
      bytes: bytesPerEncoding[e],
      fn: () => {
        for (const m of ms) sink += d.fn(m).spans.length;
      },
    });
  }
  tasks.push({
    name: 'JSON.parse of the json-v2 bytes (reference)',
    group: 'reference',
    unit: 'spans',
    units: n,
    bytes: bytesPerEncoding['json-v2'],
    fn: () => {
      for (const b of jsonBuffers) sink += (JSON.parse(b.toString('utf8')) as unknown[]).length;
    },
  });
  tasks.push({
    name: 'normalizeSpan (on JSON.parse objects)',
    group: 'stage',
    unit: 'spans',
    units: n,
    fn: () => {
      for (const r of rawObjects) if ('traceId' in normalizeSpan(r)) sink++;
    },
  });
  tasks.push({
    name: 'shard key hash (traceHash + shardOf 2)',
    group: 'stage',
    unit: 'spans',
    units: n,
    fn: () => {
      for (const id of traceIds) sink += traceHash(id) + shardOf(id, 2);
    },
  });
  tasks.push({
    name: 'window insert + flush (TraceWindows)',
    group: 'stage',
    unit: 'spans',
    units: n,
    fn: () => {
      const w = new TraceWindows<string>((t) => {
        sink += t.spanCount;
      });
      for (let i = 0; i < n; i++) w.add(traceIds[i] as string, lines[i] as string, (lines[i] as string).length, i >> 8, 1000);
      w.flushAll();
    },
  });
  tasks.push({
    name: 'ES document (spanDocument)',
    group: 'stage',
    unit: 'spans',
    units: n,
    bytes: docBytes,
    fn: () => {
      for (const s of spans) sink += spanDocument(s, true).length;
    },
  });
  tasks.push({
    name: 'document _id (md5 of the document)',
    group: 'stage',
    unit: 'spans',
    units: n,
    fn: () => {
      for (let i = 0; i < n; i++) sink += documentId(traceIds[i] as string, docs[i] as string).length;
    },
  });
  tasks.push({
    name: 'ES bulk item + NDJSON (bulkLines)',
    group: 'stage',
    unit: 'spans',
    units: n,
    bytes: linesBytes,
    fn: () => {
      for (const s of spans) sink += bulkLines(s, DOC).length;
    },
  });
  tasks.push({
    name: 'JSON.stringify of the same spans (reference)',
    group: 'reference',
    unit: 'spans',
    units: n,
    bytes: stringifyBytes,
    fn: () => {
      for (const s of spans) sink += JSON.stringify(s).length;
    },
  });
  tasks.push({
    // As workers/pipeline.ts does it: the windows hold documents, the bulk item is made at flush.
    name: 'in-thread path: decodeMessage → document → window → flush → bulk item',
    group: 'stage',
    unit: 'spans',
    units: n,
    bytes: bytesPerEncoding['json-v2'],
    fn: () => {
      const w = new TraceWindows<SpanDocument>((t) => {
        for (const d of t.entries) sink += spanBulkItem(d.index, false, t.traceId, d.doc).length;
      });
      for (const m of messages['json-v2']) {
        for (const s of decodeMessage(m).spans) {
          const d = documentOf(s, DOC);
          // Flattened as the pipeline does (pipeline.ts route): a rope would be promoted whole.
          sink ^= d.doc.charCodeAt(d.doc.length >> 1);
          w.add(s.traceId, d, d.doc.length, 0, 1000);
        }
      }
      w.flushAll();
    },
  });

  const perRound = new Map<string, number[]>();
  for (const t of tasks) perRound.set(t.name, []);
  // Round 0 is a discarded warm-up: the first task of the first round otherwise ran on colder
  // code and data than the others.
  for (let round = 0; round <= opts.runs; round++) {
    opts.progress(
      round === 0 ? 'micro: warm-up round' : `micro: round ${round}/${opts.runs} (${tasks.length} tasks × ${opts.timeMs} ms CPU)`,
    );
    const time = round === 0 ? opts.timeMs / 3 : opts.timeMs;
    const bench = new Bench({ time, warmupTime: opts.warmupMs, iterations: 5, warmupIterations: 2, now: cpuNow });
    for (const t of tasks) bench.add(t.name, t.fn);
    await bench.run();
    if (round === 0) continue;
    for (const task of bench.tasks) {
      const r = task.result;
      if (r.state !== 'completed') throw new Error(`micro task ${task.name}: ${r.state === 'errored' ? r.error.message : r.state}`);
      // Mean, not median, iteration time: GC pauses are part of what a stage costs.
      (perRound.get(task.name) as number[]).push(1000 / r.latency.mean);
    }
  }
  if (sink === -1) process.stderr.write('');

  const rows: MicroRow[] = tasks.map((t) => {
    const itersPerSec = perRound.get(t.name) as number[];
    const row: MicroRow = { name: t.name, group: t.group, unit: t.unit, perSec: summarize(itersPerSec.map((x) => x * t.units)) };
    if (t.bytes !== undefined) row.bytesPerSec = summarize(itersPerSec.map((x) => x * (t.bytes as number)));
    return row;
  });
  const rate = (name: string): number[] => perRound.get(name) as number[];
  const jsonParse = rate('JSON.parse of the json-v2 bytes (reference)');
  const v2 = rate('decode json-v2 (decodeMessage)');
  const ratios: MicroRatio[] = [];
  const v2VsParse = summarize(pairedRatios(v2, jsonParse));
  ratios.push({
    name: 'JSON v2 decode+normalise / bare JSON.parse',
    goal: '≥ 0.6',
    ratio: v2VsParse,
    met: v2VsParse.median >= 0.6,
  });
  for (const e of ['proto3', 'thrift', 'json-v1'] as const) {
    const r = summarize(pairedRatios(rate(`decode ${e} (decodeMessage)`), v2));
    const name = `${e} decode / JSON v2 decode (spans/s)`;
    if (e === 'json-v1') ratios.push({ name, goal: '(no goal)', ratio: r });
    else ratios.push({ name, goal: '> 1', ratio: r, met: r.median > 1 });
  }
  ratios.push({
    name: 'otlp-proto decode / proto3 decode (spans/s)',
    goal: '(no goal)',
    ratio: summarize(pairedRatios(rate('decode otlp-proto (decodeMessage)'), rate('decode proto3 (decodeMessage)'))),
  });
  const bytesPerSpan = {} as Record<ZipkinEncoding, number>;
  for (const e of ENCODINGS) bytesPerSpan[e] = bytesPerEncoding[e] / n;
  return {
    corpus: { spans: n, messages: jsonMessages.values.length, spansPerMessage: opts.spansPerMessage, bytesPerSpan },
    rows,
    ratios,
  };
}
