/**
 * Child process of the memory phase (needs `--expose-gc`): fills one worker's trace windows with
 * `spans` spans through the real `Pipeline` (decode → ES document + span facts → windows, null sink,
 * windows that never flush, a sampling policy so documents wait for their trace) and prints, as one JSON line, the heap and RSS growth per buffered span after full
 * garbage collections. A fresh process per measurement: nothing else lives in its heap.
 *
 * The per-span figures are marginal: the growth from half full to full, divided by the spans added
 * in that second half. The first half pays the one-off costs that do not scale with what is buffered
 * (V8's young generation growing to its full 2 × 16 MiB, malloc arenas reaching their working size,
 * compiled code), which would otherwise be charged to the spans of this one fill level; the growth
 * from the start is reported too (`…FromStart`).
 *
 * Mode `flat` is a reference, not the shipped code: the same documents, each string made flat
 * (V8 keeps `a + b` as a rope of ConsString nodes until something flattens it), in a bare
 * TraceWindows with the smallest entry object: what the stored bytes themselves cost.
 *
 * Usage: node --expose-gc [--import tsx] bench/memory-probe.ts '{"spans":200000,"mix":"shared","mode":"pipeline","spansPerMessage":10}'
 */

import { decodeMessage } from '../core/codec/decode/index.js';
import type { Span } from '../core/model/span.js';
import { TraceWindows } from '../workers/assemble/windows.js';
import { type DocumentSettings, documentOf } from '../workers/encode/es-document.js';
import { Pipeline } from '../workers/pipeline.js';
import type { StatsMessage, WorkerToCoordinator } from '../workers/protocol.js';
import { defaultWorkerSettings } from './pipeline.js';
import { loadBaseTraces, MessageGen, type Messages, TraceGen, toBatches } from './traffic.js';

export interface ProbeArgs {
  spans: number;
  /** 'shared': the shared traces round-robin; 'small': without traces of more than 100 spans. */
  mix: 'shared' | 'small';
  /**
   * 'pipeline': whole-trace mode (documents wait for their trace's decision); 'keep-all': the
   * default, documents written through, the windows keep span facts only; 'flat': the reference.
   */
  mode: 'pipeline' | 'keep-all' | 'flat';
  spansPerMessage: number;
}

export interface ProbeResult extends ProbeArgs {
  bufferedSpans: number;
  bufferedTraces: number;
  /** Mean bytes a buffered span counts against the windows' budget: its document's length plus the row estimate. */
  entryChars: number;
  /** Marginal: heap growth from half full to full / spans added in that half. */
  heapBytesPerSpan: number;
  /** Marginal: RSS growth from half full to full / spans added in that half. */
  rssBytesPerSpan: number;
  /** Heap growth from empty to full / spans buffered (one-off costs included). */
  heapBytesPerSpanFromStart: number;
  rssBytesPerSpanFromStart: number;
  heapUsedBytes: number;
  rssBytes: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

function collect(): void {
  if (!gc) throw new Error('memory-probe needs node --expose-gc');
  for (let i = 0; i < 4; i++) gc();
}

/** Full GCs, then a pause for V8's memory reducer to hand freed pages (the decoders' garbage) back to the OS. */
async function settle(): Promise<NodeJS.MemoryUsage> {
  collect();
  await new Promise((r) => setTimeout(r, 1500));
  collect();
  return process.memoryUsage();
}

const HOUR = 3_600_000;

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? '{}') as ProbeArgs;
  const bases = loadBaseTraces((_name, spans) => args.mix === 'shared' || spans <= 100);
  const nowMicros = Date.now() * 1000;
  const gen = new TraceGen(bases, { seed: 11, startMicros: () => nowMicros });
  const messages = new MessageGen(gen, 'json-v2', args.spansPerMessage);
  const settings = defaultWorkerSettings([
    '--sink-kind',
    'null',
    '--window-quiet-ms',
    '1h',
    '--window-max-window-ms',
    '1h',
    '--window-max-buffered-bytes-per-worker',
    '16GiB',
  ]);
  // Whole-trace mode (a sampling policy decides at flush, so every document waits in its window):
  // the case the bytes-per-buffered-span goal is about. Rate 1 keeps everything, so nothing else changes.
  if (args.mode !== 'keep-all') settings.sample = { policies: [{ type: 'probabilistic', name: 'all', rate: 1 }], tagKept: true };
  let stats: StatsMessage | undefined;
  const post = (msg: WorkerToCoordinator): void => {
    if (msg.type === 'stats') stats = msg;
  };
  const doc: DocumentSettings = { index: 'zipkin', indexTypeDelimiter: '-', dateSeparator: '-', supportsTypes: false, searchEnabled: true };
  let batchId = 0;
  const offsets: number[] = [];

  const feedPipeline = (p: Pipeline, m: Messages): void => {
    for (const b of toBatches(m, 1, offsets)) {
      const data = b.data.slice().buffer;
      const off = new Float64Array(b.messages).map((_, k) => b.firstOffset + k);
      p.onBatch({ type: 'batch', batchId: ++batchId, topic: 'bench', partition: 0, data, ends: b.ends, offsets: off });
    }
  };
  const flatWindows = new TraceWindows<{ lines: string; batchId: number }>(() => undefined, {
    quietMs: HOUR,
    maxWindowMs: HOUR,
    maxBufferedBytes: 16 * 1024 ** 3,
  });
  const feedFlat = (m: Messages, into: TraceWindows<{ lines: string; batchId: number }>): void => {
    for (const v of m.values) {
      const id = ++batchId;
      for (const s of decodeMessage(v).spans as Span[]) {
        // Buffer round trip: a new flat (sequential) string instead of the rope the encoder returns.
        const lines = Buffer.from(documentOf(s, doc).doc).toString('utf8');
        into.add(s.traceId, { lines, batchId: id }, lines.length, id, Date.now());
      }
    }
  };

  // Warm-up in a throw-away instance: compiled code and inline caches are not per-span memory.
  const warm = new Pipeline(
    0,
    1,
    settings,
    () => undefined,
    () => undefined,
  );
  feedPipeline(warm, messages.messages(5_000));
  const warmFlat = new TraceWindows<{ lines: string; batchId: number }>(() => undefined, { quietMs: HOUR, maxWindowMs: HOUR });
  feedFlat(messages.messages(5_000), warmFlat);
  warmFlat.flushAll();

  const pipeline = new Pipeline(0, 1, settings, post, () => undefined);
  collect();
  const before = process.memoryUsage();
  let fed = 0;
  let half: { usage: NodeJS.MemoryUsage; fed: number } | undefined;
  while (fed < args.spans) {
    if (half === undefined && fed >= args.spans / 2) half = { usage: await settle(), fed };
    const m = messages.messages(Math.min(10_000, args.spans - fed));
    if (args.mode !== 'flat') feedPipeline(pipeline, m);
    else feedFlat(m, flatWindows);
    fed += m.spans;
  }
  const after = await settle();
  if (half === undefined || half.fed >= fed) throw new Error(`memory-probe: ${args.spans} spans is too few to measure`);

  let buffered: number;
  let traces: number;
  let bytes: number;
  if (args.mode !== 'flat') {
    // A tick past the stats interval makes the pipeline report its gauges (nothing is due to flush).
    pipeline.onTick(Date.now());
    const g = (stats as StatsMessage | undefined)?.gauges;
    if (!g) throw new Error('pipeline reported no stats');
    buffered = g.bufferedSpans;
    traces = g.bufferedTraces;
    bytes = g.bufferedBytes;
  } else {
    buffered = flatWindows.bufferedSpans;
    traces = flatWindows.bufferedTraces;
    bytes = flatWindows.bufferedBytes;
  }
  if (buffered !== fed) throw new Error(`expected ${fed} buffered spans, the windows hold ${buffered}`);
  const result: ProbeResult = {
    ...args,
    spans: fed,
    bufferedSpans: buffered,
    bufferedTraces: traces,
    entryChars: bytes / buffered,
    heapBytesPerSpan: (after.heapUsed - half.usage.heapUsed) / (fed - half.fed),
    rssBytesPerSpan: (after.rss - half.usage.rss) / (fed - half.fed),
    heapBytesPerSpanFromStart: (after.heapUsed - before.heapUsed) / buffered,
    rssBytesPerSpanFromStart: (after.rss - before.rss) / buffered,
    heapUsedBytes: after.heapUsed,
    rssBytes: after.rss,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  // Keep both alive until after the measurement.
  if (pipeline === undefined || flatWindows === undefined) process.exitCode = 3;
}

await main();
