/**
 * One worker's pipeline: decode → (check: the decoders' normalisation and salvage) → filter →
 * shard → assemble (windows) → sample → sink. Stateful; driven only by messages: batches and
 * forwards in, ticks for time, drain for shutdown. Emits protocol messages through `post`.
 */
import { Packr } from 'msgpackr';
import { decodeMessage } from '../core/codec/decode/index.js';
import type { Encoding, Span } from '../core/model/span.js';
import { shardOf } from './assemble/shard.js';
import { type FlushedTrace, type TraceDecision, TraceWindows } from './assemble/windows.js';
import {
  type AutocompleteDoc,
  AutocompleteTracker,
  type DocumentSettings,
  documentOf,
  spanBulkItem,
  spanJsonFromBulkLines,
} from './encode/es-document.js';
import { SpanFilter } from './filter/rules.js';
import type { BatchMessage, DeadLetterRecord, DecodedMessage, WorkerSettings, WorkerToCoordinator } from './protocol.js';
import { createSink } from './sink/create.js';
import type { Sink, SinkEntry } from './sink/sink.js';
import { StatsCounters } from './stats.js';

/** Where a span came from: shared by all spans of one Kafka record, for dead letters. */
export interface Provenance {
  topic: string;
  partition: number;
  offset: number;
}

/** A span entry carries its provenance; an autocomplete entry its suppression key. */
type Ref = Provenance | string;
type Entry = SinkEntry<Ref>;

/** A span waiting in its trace window: its document, not yet a bulk item (see `spanBulkItem`). */
interface Buffered {
  doc: string;
  index: string;
  batchId: number;
  prov: Provenance;
}

/** Sampling arrives in a later milestone; until then every trace is kept, under this policy name. */
const KEEP_ALL: TraceDecision = { keep: true, policy: 'keep_all' };

/** Forwarded item: [traceId, document, index, batchId, topic, partition, offset]. */
type ForwardTuple = [string, string, string, number, string, number, number];

const STATS_INTERVAL_MS = 1000;

interface DecodeTally {
  spans: number;
  errors: number;
  firstError: string | undefined;
}

export class Pipeline {
  private readonly windows: TraceWindows<Buffered>;
  private readonly sink: Sink<Ref>;
  private readonly filter: SpanFilter;
  private readonly autocomplete: AutocompleteTracker;
  private readonly doc: DocumentSettings;
  private readonly stats = new StatsCounters();
  private readonly packr = new Packr({ useRecords: false });
  private readonly forwards: ForwardTuple[][];
  private readonly acScratch: AutocompleteDoc[] = [];
  private now = Date.now();
  private lastStats = 0;
  private bulkLatencies: number[] = [];
  private flattened = 0;

  constructor(
    private readonly worker: number,
    private readonly workers: number,
    private readonly settings: WorkerSettings,
    private readonly post: (msg: WorkerToCoordinator) => void,
    private readonly forward: (peer: number, data: ArrayBuffer) => void,
  ) {
    const s = settings.sink;
    this.doc = {
      index: s.index,
      indexTypeDelimiter: s.indexTypeDelimiter,
      dateSeparator: s.dateSeparator,
      supportsTypes: s.supportsTypes,
      searchEnabled: s.searchEnabled,
    };
    this.autocomplete = new AutocompleteTracker({
      ...this.doc,
      autocompleteKeys: s.autocompleteKeys,
      autocompleteTtlMs: s.autocompleteTtlMs,
      autocompleteCardinality: s.autocompleteCardinality,
    });
    this.filter = new SpanFilter(settings.filter);
    this.forwards = Array.from({ length: workers }, () => []);
    this.windows = new TraceWindows<Buffered>((t) => this.onFlush(t), {
      quietMs: settings.window.quietMs,
      maxWindowMs: settings.window.maxWindowMs,
      maxSpansPerTrace: settings.window.maxSpansPerTrace,
      maxBufferedBytes: settings.window.maxBufferedBytes,
      lateDecisionTtlMs: settings.window.lateDecisionTtlMs,
      lateDecisionCacheSize: settings.window.lateDecisionCacheSize,
    });
    this.sink = createSink<Ref>(s, {
      onResolved: (batchIds, counts) => this.post({ type: 'resolved', batchIds, counts }),
      onDeadLetter: (entry, code, reason) => {
        this.stats.inc('spans_rejected', `reason=${code}`);
        this.post({ type: 'dead-letter', records: [this.sinkDeadLetter(entry, code, reason)] });
      },
      onDropped: (entry, code) => {
        this.stats.inc('autocomplete_dropped', `reason=${code}`);
        // Not written: let the next span carrying this tag value write it again.
        if (typeof entry.ref === 'string') this.autocomplete.release(entry.ref);
      },
      onLatency: (seconds) => this.bulkLatencies.push(seconds),
      onRetry: (code, n) => this.stats.inc('bulk_retries', `reason=${code}`, n),
    });
  }

  onBatch(b: BatchMessage): void {
    const data = new Uint8Array(b.data);
    let units = 0;
    let start = 0;
    const tally: DecodeTally = { spans: 0, errors: 0, firstError: undefined };
    const encoding = b.encoding ?? this.settings.topicEncoding[b.topic];
    for (let i = 0; i < b.ends.length; i++) {
      const end = b.ends[i] as number;
      const value = data.subarray(start, end);
      const prov: Provenance = { topic: b.topic, partition: b.partition, offset: b.offsets[i] as number };
      units += this.onRecord(value, b.batchId, prov, tally, encoding);
      start = end;
    }
    this.flushForwards();
    const decoded: DecodedMessage = { type: 'decoded', batchId: b.batchId, units, spans: tally.spans, errors: tally.errors };
    if (tally.firstError !== undefined) decoded.firstError = tally.firstError;
    this.post(decoded);
  }

  /** Decodes one record; returns the units it created for its batch. */
  private onRecord(value: Uint8Array, batchId: number, prov: Provenance, tally: DecodeTally, encoding: Encoding | undefined): number {
    if (value.length > this.settings.maxMessageBytes) {
      tally.errors++;
      tally.firstError ??= `record of ${value.length} bytes exceeds maxMessageBytes`;
      this.stats.inc('decode_errors', 'encoding=unknown,reason=too_large');
      this.deadLetter(value, batchId, prov, 'too_large', `record of ${value.length} bytes exceeds maxMessageBytes`, 'unknown');
      return 1;
    }
    const result = decodeMessage(value, encoding);
    let units = 0;
    if (result.errors.length > 0) {
      for (const e of result.errors) this.stats.inc('decode_errors', `encoding=${e.encoding},reason=${e.code}`);
      const first = result.errors[0] as (typeof result.errors)[number];
      const reason = result.errors.length === 1 ? first.reason : `${result.errors.length} errors; first: ${first.reason}`;
      tally.errors += result.errors.length;
      tally.firstError ??= `${first.code}: ${first.reason}`;
      // The whole record goes to the dead-letter topic; its good spans are still written here.
      this.deadLetter(value, batchId, prov, first.code, reason, result.encoding);
      units++;
    } else if (value.length === 0) {
      this.stats.inc('messages_empty', '');
    }
    const spans = result.spans;
    tally.spans += spans.length;
    if (spans.length > 0) this.stats.inc('spans_decoded', `encoding=${result.encoding}`, spans.length);
    for (const span of spans) {
      const dropped = this.filter.match(span);
      if (dropped !== null) {
        this.stats.inc('spans_filtered', `reason=${dropped}`);
        continue;
      }
      units++;
      this.route(span, batchId, prov);
    }
    return units;
  }

  private route(span: Span, batchId: number, prov: Provenance): void {
    const { doc, index } = documentOf(span, this.doc, this.now);
    // The document is a rope of ConsString pieces; reading a char makes V8 flatten it in place, so
    // a buffered span costs one flat string (~30 % less heap, see bench memory). The result is kept
    // in a field so the optimiser cannot drop the read.
    this.flattened ^= doc.charCodeAt(doc.length >> 1);
    const ac = this.acScratch;
    if (this.autocomplete.collect(span, ac, this.now) > 0) {
      for (const d of ac) this.sink.write({ lines: d.lines, batchId, units: 0, ref: d.key });
      ac.length = 0;
    }
    const owner = this.workers === 1 ? this.worker : shardOf(span.traceId, this.workers);
    if (owner === this.worker) this.assemble(span.traceId, { doc, index, batchId, prov });
    else (this.forwards[owner] as ForwardTuple[]).push([span.traceId, doc, index, batchId, prov.topic, prov.partition, prov.offset]);
  }

  private flushForwards(): void {
    for (let peer = 0; peer < this.workers; peer++) {
      const list = this.forwards[peer] as ForwardTuple[];
      if (list.length === 0) continue;
      const packed = this.packr.pack(list);
      // msgpackr may return a view of a shared pool: copy into an owned buffer we can transfer.
      const ab = packed.buffer.slice(packed.byteOffset, packed.byteOffset + packed.byteLength) as ArrayBuffer;
      this.forward(peer, ab);
      this.stats.inc('spans_forwarded', '', list.length);
      list.length = 0;
    }
  }

  onForward(data: ArrayBuffer): void {
    const list = this.packr.unpack(new Uint8Array(data)) as ForwardTuple[];
    for (const [traceId, doc, index, batchId, topic, partition, offset] of list) {
      this.assemble(traceId, { doc, index, batchId, prov: { topic, partition, offset } });
    }
  }

  private assemble(traceId: string, b: Buffered): void {
    const late = this.windows.add(traceId, b, b.doc.length, b.batchId, this.now);
    if (late === 'buffered') return;
    this.stats.inc('spans_late', `reason=${late.keep ? 'kept' : 'dropped'}`);
    if (late.keep) this.write(traceId, b);
    else this.post({ type: 'resolved', batchIds: [b.batchId], counts: [1] });
  }

  private onFlush(t: FlushedTrace<Buffered>): void {
    this.stats.inc('traces_flushed', `reason=${t.reason}`);
    this.stats.inc('spans_flushed', `reason=${t.reason}`, t.spanCount);
    const decision = KEEP_ALL;
    this.windows.recordDecision(t.traceId, decision, this.now);
    for (const b of t.entries) this.write(t.traceId, b);
  }

  private write(traceId: string, b: Buffered): void {
    const lines = spanBulkItem(b.index, this.doc.supportsTypes, traceId, b.doc);
    this.sink.write({ lines, batchId: b.batchId, units: 1, ref: b.prov });
  }

  onTick(now: number): void {
    this.now = now;
    this.windows.tick(now);
    if (now - this.lastStats >= STATS_INTERVAL_MS) this.reportStats(now);
  }

  async drain(): Promise<void> {
    this.windows.flushAll();
    await this.sink.drain();
    this.reportStats(this.now);
  }

  async close(): Promise<void> {
    await this.sink.close();
  }

  private reportStats(now: number): void {
    this.lastStats = now;
    const failingSince = this.sink.failingSince;
    this.post({
      type: 'stats',
      worker: this.worker,
      counters: this.stats.take(),
      gauges: {
        bufferedSpans: this.windows.bufferedSpans,
        bufferedTraces: this.windows.bufferedTraces,
        bufferedBytes: this.windows.bufferedBytes,
        bulkInFlight: this.sink.inFlight,
        inputQueue: 0,
        sinkFailingMs: failingSince === null ? 0 : Math.max(1, now - failingSince),
      },
      sinkFailure: this.sink.failure,
      bulkLatencies: this.bulkLatencies,
    });
    this.bulkLatencies = [];
  }

  private deadLetter(value: Uint8Array, batchId: number, prov: Provenance, code: string, reason: string, encoding: string): void {
    // Copy: `value` is a view into the batch buffer, which must not be retained.
    const rec: DeadLetterRecord = {
      batchId,
      value: value.slice(),
      reason,
      code,
      encoding,
      sourceTopic: prov.topic,
      partition: prov.partition,
      offset: prov.offset,
    };
    this.post({ type: 'dead-letter', records: [rec] });
  }

  private sinkDeadLetter(entry: Entry, code: string, reason: string): DeadLetterRecord {
    const json = `[${spanJsonFromBulkLines(entry.lines)}]`;
    const p = typeof entry.ref === 'string' ? { topic: '', partition: -1, offset: -1 } : entry.ref;
    return {
      batchId: entry.batchId,
      value: Buffer.from(json),
      reason,
      code,
      encoding: 'json-v2',
      sourceTopic: p.topic,
      partition: p.partition,
      offset: p.offset,
    };
  }
}
