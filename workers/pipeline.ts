/**
 * One worker's pipeline, glue only: decode → check → filter → (shard) → assemble → trace checks →
 * sample → encode → sink. Stateful; driven only by messages: batches and forwards in, ticks for
 * time, drain for shutdown. Emits protocol messages through `post`.
 *
 * Two ways a span reaches the sink:
 *  - write-through (no trace-level stage configured: keep-all sampling, no trace-level rule): the
 *    decoding worker writes the document at once, and only the span's facts travel on to the
 *    trace's window (for trace-level analytics), so nothing waits for the quiet window;
 *  - whole trace (a sampling policy or trace-level rule): the document (or, for a span a trace rule
 *    may still rewrite, the span) waits in its trace's window with its facts, and is written or
 *    dropped by the trace's decision at flush.
 */
import { getHeapStatistics } from 'node:v8';
import { Packr } from 'msgpackr';
import type { Encoding, Kind, Span } from '../core/model/span.js';
import { FACT_ROOT, factFlags, InternedField, Interner, linkFlags, summarize, traceKey } from './assemble/facts.js';
import { PartitionSpread, type Split } from './assemble/keying.js';
import { shardOf } from './assemble/shard.js';
import { NO_PROVENANCE, type Provenance, WAITING_ROW_BYTES, type WaitingSpan, WaitingSpans } from './assemble/waiting.js';
import { type FlushedTrace, type TraceDecision, TraceWindows } from './assemble/windows.js';
import { SpanChecker } from './check/span.js';
import { TraceChecker, type TraceVerdict } from './check/trace.js';
import { decodeRecord } from './decode/record.js';
import {
  type AutocompleteDoc,
  AutocompleteTracker,
  type DocumentSettings,
  documentOf,
  readHead,
  spanBulkItem,
  spanJsonFromBulkLines,
  spanJsonFromDocument,
  traceIdOfDocument,
  withTag,
} from './encode/es-document.js';
import { SpanFilter } from './filter/rules.js';
import { GcPauses } from './gc.js';
import { EndpointKeys } from './link/facts.js';
import { LINK_ROW_BYTES, LinkRows } from './link/rows.js';
import { DependencyStage } from './link/stage.js';
import type {
  BatchMessage,
  DeadLetterRecord,
  DecisionsMessage,
  DecodedMessage,
  SeedDecisionsMessage,
  StageSettings,
  WorkerSettings,
  WorkerToCoordinator,
} from './protocol.js';
import { TraceGrouper } from './rekey/group.js';
import { KEEP_ALL_DECISION, Sampler } from './sample/index.js';
import { createSink } from './sink/create.js';
import type { Sink, SinkEntry } from './sink/sink.js';
import { StatsCounters } from './stats.js';

/** A span entry carries its provenance; an autocomplete entry its suppression key. */
type Ref = Provenance | string;
type Entry = SinkEntry<Ref>;

export const SAMPLED_TAG = 'tracefold.sampled';

/** Sink ref of dependency documents (units 0, like autocomplete: never dead-lettered). */
const DEPENDENCY_REF = '\u0000dependency';

/** Forwarded span: document fields, provenance, facts, and the span when its encoding is deferred. */
type ForwardTuple = [
  doc: string | null,
  index: string,
  batchId: number,
  topic: string,
  partition: number,
  offset: number,
  traceId: string,
  id: string,
  parentId: string,
  kind: Kind | '',
  service: string,
  remoteService: string,
  name: string,
  timestamp: number,
  duration: number,
  flags: number,
  span: Span | null,
  endpoint: string,
  head: number,
];

/** Forwarded facts of a written-through span (keep-all with links): its trace ID and what its link row holds. */
type LinkTuple = [traceId: string, ...row: Parameters<LinkRows['add']>];

const STATS_INTERVAL_MS = 1000;

interface ForwardWaiter {
  count: number;
  resolve: () => void;
}

interface DecodeTally {
  spans: number;
  errors: number;
  firstError: string | undefined;
}

/** A buffered span's full trace ID: from its span, else its document; '' for facts only (not known). */
function traceIdOf(b: WaitingSpan): string {
  if (b.span !== null) return b.span.traceId;
  return b.doc === null ? '' : traceIdOfDocument(b.doc);
}

export class Pipeline {
  /** Whole-trace mode: the waiting spans by trace, rows of `waiting`. */
  private readonly windows: TraceWindows<number>;
  private readonly waiting = new WaitingSpans();
  /** Written-through spans' link facts by trace (keep-all with links): rows of `linkRows`. */
  private readonly linkWindows: TraceWindows<number>;
  private readonly linkRows = new LinkRows();
  private readonly sink: Sink<Ref>;
  private checker!: SpanChecker;
  private filter!: SpanFilter;
  private traceChecker!: TraceChecker;
  private sampler!: Sampler;
  /** Documents wait for their trace: some trace-level stage decides what is written. */
  private wholeTrace = false;
  private readonly autocomplete: AutocompleteTracker;
  private readonly deps: DependencyStage;
  /** Dependency links are derived (settings.dependencies). */
  private readonly links: boolean;
  /** Dependency documents go where span documents go; other sinks only feed the live graph. */
  private readonly writeDependencies: boolean;
  private readonly doc: DocumentSettings;
  private readonly interner = new Interner();
  private readonly serviceNames = new InternedField(this.interner);
  private readonly remoteServiceNames = new InternedField(this.interner);
  private readonly spanNames = new InternedField(this.interner);
  private readonly endpointKeys = new EndpointKeys(this.interner);
  /** The same for facts forwarded by peers (a batch's forwards arrive together, from one reporter). */
  private readonly forwardedServices = new InternedField(this.interner);
  private readonly forwardedRemoteServices = new InternedField(this.interner);
  private readonly forwardedEndpoints = new InternedField(this.interner);
  private readonly stats = new StatsCounters();
  private readonly gc = new GcPauses();
  private readonly packr = new Packr({ useRecords: false });
  private readonly forwards: (ForwardTuple | LinkTuple)[][];
  private readonly acScratch: AutocompleteDoc[] = [];
  /** Units resolved without a write (sampled out, dropped by a trace rule), posted in one message. */
  private readonly dropped = new Map<number, number>();
  private now = Date.now();
  /** The last tick's time, and this thread's `performance.now()` when it arrived (see advanceClock). */
  private tickNow = this.now;
  private tickLocal = performance.now();
  private lastStats = 0;
  private bulkLatencies: number[] = [];
  private flattened = 0;
  /** Stage 1: the batch's spans by trace key, sent to the coordinator as keyed records. */
  private readonly grouper: TraceGrouper | undefined;
  /** Stage 2: every span received is this worker's own (no forwarding); this checks the input is keyed. */
  private readonly spread: PartitionSpread | undefined;
  private splits = 0;
  /** Forward messages taken in, and drains waiting for more of them. */
  private forwardsReceived = 0;
  private readonly forwardWaiters: ForwardWaiter[] = [];
  private firstSplit: Split | undefined;
  /** Stage 2: decisions of flushed traces not yet posted for the decision log. */
  private readonly decided: DecisionsMessage | undefined;
  /** Restored decisions, one object per (keep, policy). */
  private readonly restored = new Map<string, TraceDecision>();

  constructor(
    private readonly worker: number,
    private readonly workers: number,
    private readonly settings: WorkerSettings,
    private readonly post: (msg: WorkerToCoordinator, transfer?: ArrayBuffer[]) => void,
    private readonly forward: (peer: number, data: ArrayBuffer) => void,
  ) {
    const s = settings.sink;
    if (settings.stage === 'rekey') this.grouper = new TraceGrouper();
    if (settings.stage === 'assemble') {
      this.spread = new PartitionSpread();
      this.decided = { type: 'decisions', keys: [], partitions: [], keep: [], policies: [] };
    }
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
    this.reconfigure(settings);
    this.deps = new DependencyStage({
      prefix: s.index,
      delimiter: s.indexTypeDelimiter,
      dateSeparator: s.dateSeparator,
      supportsTypes: s.supportsTypes,
    });
    this.links = settings.dependencies;
    this.writeDependencies = s.kind === 'elasticsearch';
    this.forwards = Array.from({ length: workers }, () => []);
    const windowOptions = {
      quietMs: settings.window.quietMs,
      rootlessQuietMs: settings.window.rootlessQuietMs,
      maxWindowMs: settings.window.maxWindowMs,
      maxSpansPerTrace: settings.window.maxSpansPerTrace,
      maxBufferedBytes: settings.window.maxBufferedBytes,
      lateDecisionTtlMs: settings.window.lateDecisionTtlMs,
      lateDecisionCacheSize: settings.window.lateDecisionCacheSize,
    };
    this.windows = new TraceWindows<number>((t) => this.onFlush(t), windowOptions);
    // Only one of the two fills at a time (the mode decides); a reload lets the other empty itself.
    this.linkWindows = new TraceWindows<number>((t) => this.onLinkFlush(t), windowOptions);
    this.sink = createSink<Ref>(s, {
      onResolved: (batchIds, counts) => {
        // A sink's units are its span documents (derived documents carry none): what it wrote.
        let written = 0;
        for (const c of counts) written += c;
        this.stats.inc('spans_written', {}, written);
        this.postDecisions();
        this.post({ type: 'resolved', batchIds, counts });
      },
      onDeadLetter: (entry, code, reason) => {
        this.stats.inc('spans_rejected', { reason: code });
        this.post({ type: 'dead-letter', records: [this.sinkDeadLetter(entry, code, reason)] });
      },
      onDropped: (entry, code) => {
        if (entry.ref === DEPENDENCY_REF) {
          this.stats.inc('dependency_docs_dropped', { reason: code });
          return;
        }
        this.stats.inc('autocomplete_dropped', { reason: code });
        // Not written: let the next span carrying this tag value write it again.
        if (typeof entry.ref === 'string') this.autocomplete.release(entry.ref);
      },
      onLatency: (seconds) => this.bulkLatencies.push(seconds),
      onRetry: (code, n) => this.stats.inc('bulk_retries', { reason: code }, n),
    });
  }

  /**
   * Builds the rule-driven stages from settings (at start and on a config reload). Learned sampling
   * state starts over; spans in the windows keep what they carry (a document, a span, or nothing
   * when written through) and are handled by what they carry.
   */
  reconfigure(stages: StageSettings): void {
    this.checker = new SpanChecker(stages.check);
    this.filter = new SpanFilter(stages.filter);
    this.traceChecker = new TraceChecker(stages.traceCheck);
    this.sampler = new Sampler(stages.sample);
    this.wholeTrace = this.sampler.wholeTrace || this.traceChecker.active;
  }

  onBatch(b: BatchMessage): void {
    this.advanceClock();
    const data = new Uint8Array(b.data);
    let units = 0;
    let start = 0;
    const tally: DecodeTally = { spans: 0, errors: 0, firstError: undefined };
    const encoding = b.encoding ?? this.settings.topicEncoding[b.topic];
    for (let i = 0; i < b.ends.length; i++) {
      const end = b.ends[i] as number;
      const value = data.subarray(start, end);
      const prov: Provenance = { topic: b.topic, partition: b.partition, offset: b.offsets[i] as number };
      units += this.onRecord(value, b.batchId, prov, b.times?.[i] ?? 0, tally, encoding);
      start = end;
    }
    const forwardedTo = this.flushForwards();
    this.postDropped();
    const keyed = this.grouper?.take();
    if (keyed !== undefined) {
      units += keyed.keys.length;
      this.stats.inc('spans_rekeyed', {}, keyed.spans);
      this.stats.inc('records_rekeyed', {}, keyed.keys.length);
    }
    const decoded: DecodedMessage = { type: 'decoded', batchId: b.batchId, units, spans: tally.spans, errors: tally.errors };
    if (tally.firstError !== undefined) decoded.firstError = tally.firstError;
    if (forwardedTo !== undefined) decoded.forwardedTo = forwardedTo;
    this.post(decoded);
    // After `decoded`: the coordinator knows the batch's units before any of them can be acknowledged.
    if (keyed !== undefined) {
      this.post({ type: 'rekeyed', batchId: b.batchId, data: keyed.data, ends: keyed.ends, keys: keyed.keys }, [
        keyed.data,
        keyed.ends.buffer as ArrayBuffer,
      ]);
    }
  }

  /** Decodes one record; returns the units it created for its batch. */
  private onRecord(
    value: Uint8Array,
    batchId: number,
    prov: Provenance,
    recordTimeMs: number,
    tally: DecodeTally,
    encoding: Encoding | undefined,
  ): number {
    const result = decodeRecord(value, this.settings.maxMessageBytes, encoding);
    let units = 0;
    if (result.problem !== undefined) {
      const p = result.problem;
      for (const e of result.errors) this.stats.inc('decode_errors', { encoding: e.encoding, reason: e.code });
      tally.errors += result.errors.length;
      tally.firstError ??= p.code === 'too_large' ? p.reason : `${p.code}: ${p.firstReason}`;
      // The whole record goes to the dead-letter topic; its good spans are still written here.
      this.deadLetter(value, batchId, prov, p.code, p.reason, p.encoding);
      units++;
    } else if (value.length === 0) {
      this.stats.inc('messages_empty', {});
    }
    const spans = result.spans;
    tally.spans += spans.length;
    if (spans.length > 0) this.stats.inc('spans_decoded', { encoding: result.encoding }, spans.length);
    const ctx = this.checker.active ? { recordTimeMs, nowMs: this.now } : undefined;
    for (const span of spans) {
      if (ctx !== undefined) {
        const verdict = this.checker.check(span, ctx, (rule) =>
          this.stats.inc('quality', { rule, action: 'fix', service: span.localEndpoint?.serviceName ?? '' }),
        );
        if (verdict.action !== 'keep') {
          this.stats.inc('quality', { rule: verdict.rule, action: verdict.action, service: span.localEndpoint?.serviceName ?? '' });
          if (verdict.action === 'quarantine') {
            this.quarantineSpan(span, batchId, prov, verdict.rule, verdict.reason);
            units++;
          }
          continue;
        }
      }
      const dropped = this.filter.match(span);
      if (dropped !== null) {
        this.stats.inc('spans_filtered', { reason: dropped });
        continue;
      }
      if (this.grouper !== undefined) {
        // Stage 1: the span's unit is its trace's keyed record, counted when the batch's records are made.
        this.grouper.add(span);
        continue;
      }
      units++;
      this.route(span, batchId, prov);
    }
    return units;
  }

  private route(span: Span, batchId: number, prov: Provenance): void {
    let doc: string | null = null;
    let head = -1;
    let index = '';
    let deferred: Span | null = null;
    if (this.wholeTrace && this.traceChecker.defersEncoding(span.traceId)) {
      deferred = span;
    } else {
      const d = documentOf(span, this.doc, this.now);
      if (this.wholeTrace) {
        // The document is a rope of ConsString pieces; reading a char makes V8 flatten it in place,
        // so a buffered span costs one flat string (~30 % less heap, see bench memory), which the
        // waiting rows then copy off the heap (arena.ts) unless it is not ASCII. The result
        // is kept in a field so the optimiser cannot drop the read. A document written at once
        // goes into the bulk body as built: hashing it for its _id flattens it anyway.
        this.flattened ^= d.doc.charCodeAt(d.doc.length >> 1);
        doc = d.doc;
        head = d.head;
        index = d.index;
      } else {
        this.sink.write({ lines: spanBulkItem(d.index, this.doc.supportsTypes, span.traceId, d.doc), batchId, units: 1, ref: prov });
      }
    }
    const ac = this.acScratch;
    if (this.autocomplete.collect(span, ac, this.now) > 0) {
      for (const d of ac) this.sink.write({ lines: d.lines, batchId, units: 0, ref: d.key });
      ac.length = 0;
    }
    if (this.spread !== undefined) this.checkKeyed(span.traceId, prov.partition);
    // Written through with no dependency links, nothing about the span is needed once it is written.
    if (!this.wholeTrace && !this.links) return;
    // Stage 2: this worker's partitions hold whole traces, so every span it receives is its own.
    const owner = this.workers === 1 || this.spread !== undefined ? this.worker : shardOf(span.traceId, this.workers);
    const service = this.serviceNames.intern(span.localEndpoint?.serviceName);
    const remoteService = this.remoteServiceNames.intern(span.remoteEndpoint?.serviceName);
    const parentId = span.parentId ?? '';
    const kind = span.kind ?? '';
    const timestamp = span.timestamp ?? 0;
    const endpoint = this.endpointKeys.of(span);
    if (!this.wholeTrace) {
      // Written through, a span's facts feed only the dependency linker: the span name, duration and
      // the wider error test serve sampling and trace rules, which then have nothing to decide. (Its
      // trace stays in the link windows after a reload to whole-trace mode: linked, never sampled.)
      const flags = linkFlags(span);
      if (owner === this.worker) {
        const row = this.linkRows.add(span.id, parentId, kind, service, remoteService, timestamp, flags, endpoint);
        this.assembleLink(traceKey(span.traceId), row, flags);
      } else {
        const tuple: LinkTuple = [span.traceId, span.id, parentId, kind, service, remoteService, timestamp, flags, endpoint];
        (this.forwards[owner] as LinkTuple[]).push(tuple);
      }
      return;
    }
    // Whole trace: the span waits as its document, or as itself when its encoding is deferred.
    const flags = factFlags(span);
    // A waiting document carries its span's IDs, name, timestamp and duration: they are read back
    // from it at flush (readHead) rather than held twice while it waits (bench memory).
    const id = doc === null ? span.id : '';
    const parent = doc === null ? parentId : '';
    const name = doc === null ? this.spanNames.intern(span.name) : '';
    const start = doc === null ? timestamp : 0;
    const duration = doc === null ? (span.duration ?? 0) : 0;
    if (owner === this.worker) {
      const row = this.waiting.addFields(
        doc,
        head,
        deferred,
        index,
        batchId,
        prov,
        id,
        parent,
        kind,
        service,
        remoteService,
        name,
        start,
        duration,
        flags,
        endpoint,
      );
      this.assembleRow(traceKey(span.traceId), row, doc, batchId, flags);
    } else {
      const tuple: ForwardTuple = [
        doc,
        index,
        batchId,
        prov.topic,
        prov.partition,
        prov.offset,
        span.traceId,
        id,
        parent,
        kind,
        service,
        remoteService,
        name,
        start,
        duration,
        flags,
        deferred,
        endpoint,
        head,
      ];
      (this.forwards[owner] as ForwardTuple[]).push(tuple);
    }
  }

  /** Sends each peer its spans of this batch; returns the peers sent to, if any. */
  private flushForwards(): number[] | undefined {
    let sent: number[] | undefined;
    for (let peer = 0; peer < this.workers; peer++) {
      const list = this.forwards[peer] as ForwardTuple[];
      if (list.length === 0) continue;
      sent ??= [];
      sent.push(peer);
      const packed = this.packr.pack(list);
      // msgpackr may return a view of a shared pool: copy into an owned buffer we can transfer.
      const ab = packed.buffer.slice(packed.byteOffset, packed.byteOffset + packed.byteLength) as ArrayBuffer;
      this.forward(peer, ab);
      this.stats.inc('spans_forwarded', {}, list.length);
      list.length = 0;
    }
    return sent;
  }

  onForward(data: ArrayBuffer): void {
    try {
      this.onForwardData(data);
    } finally {
      // Counted even if it failed (the worker then reports fatal): a drain must not wait for it.
      this.forwardsReceived++;
      while (this.forwardWaiters.length > 0 && (this.forwardWaiters[0] as ForwardWaiter).count <= this.forwardsReceived) {
        (this.forwardWaiters.shift() as ForwardWaiter).resolve();
      }
    }
  }

  /** Settles once `count` forward messages have been taken in (DrainMessage.forwards). */
  private forwardsIn(count: number): Promise<void> {
    if (this.forwardsReceived >= count) return Promise.resolve();
    return new Promise((resolve) => {
      this.forwardWaiters.push({ count, resolve });
      this.forwardWaiters.sort((a, b) => a.count - b.count);
    });
  }

  private onForwardData(data: ArrayBuffer): void {
    this.advanceClock();
    const list = this.packr.unpack(new Uint8Array(data)) as (ForwardTuple | LinkTuple)[];
    const interner = this.interner;
    for (const t of list) {
      if (t.length === 9) {
        this.onForwardedLink(t);
        continue;
      }
      // Into its row from the tuple, as route does for its own spans: no record per span.
      const span = t[16] ?? null;
      const row = this.waiting.addFields(
        t[0],
        t[18],
        span,
        t[1],
        t[2],
        t[0] !== null || span !== null ? { topic: t[3], partition: t[4], offset: t[5] } : NO_PROVENANCE,
        t[7],
        t[8],
        t[9],
        interner.intern(t[10]),
        interner.intern(t[11]),
        interner.intern(t[12]),
        t[13],
        t[14],
        t[15],
        interner.intern(t[17]),
      );
      this.assembleRow(traceKey(t[6]), row, t[0], t[2], t[15]);
    }
    this.postDropped();
  }

  /** A written-through span's facts from the worker that decoded it. */
  private onForwardedLink(t: LinkTuple): void {
    const [traceId, id, parentId, kind, rawService, rawRemoteService, timestamp, flags, rawEndpoint] = t;
    const service = this.forwardedServices.intern(rawService);
    const remoteService = this.forwardedRemoteServices.intern(rawRemoteService);
    const endpoint = this.forwardedEndpoints.intern(rawEndpoint);
    const key = traceKey(traceId);
    if (!this.wholeTrace) {
      this.assembleLink(key, this.linkRows.add(id, parentId, kind, service, remoteService, timestamp, flags, endpoint), flags);
      return;
    }
    // This worker reloaded to whole-trace mode first: the span joins its trace as facts only.
    this.assemble(key, {
      doc: null,
      head: -1,
      span: null,
      index: '',
      batchId: 0,
      prov: NO_PROVENANCE,
      id,
      parentId,
      kind,
      service,
      remoteService,
      name: '',
      timestamp,
      duration: 0,
      flags,
      endpoint,
    });
  }

  /** `flags`: the span's FACT_* bits (the windows read whether it is a root). */
  private assembleLink(key: string, row: number, flags: number): void {
    const late = this.linkWindows.add(key, row, LINK_ROW_BYTES, 0, this.now, (flags & FACT_ROOT) !== 0);
    if (late === 'buffered') return;
    // A span after its trace was flushed still counts in the graph, as a fragment of its own.
    this.deps.onRows(key, this.linkRows, [row], this.now);
    this.linkRows.release(row);
    this.stats.inc('spans_late', { reason: 'kept' });
  }

  private onLinkFlush(t: FlushedTrace<number>): void {
    this.stats.inc('traces_flushed', { reason: t.reason });
    this.stats.inc('spans_flushed', { reason: t.reason }, t.spanCount);
    const rows = this.linkRows;
    this.deps.onRows(t.traceId, rows, t.entries, this.now);
    for (const row of t.entries) rows.release(row);
    this.linkWindows.recordDecision(t.traceId, KEEP_ALL_DECISION, this.now);
  }

  private checkKeyed(traceId: string, partition: number): void {
    const split = (this.spread as PartitionSpread).see(traceKey(traceId), partition);
    if (split === undefined) return;
    this.splits++;
    this.firstSplit ??= split;
    this.stats.inc('traces_split_partitions', {});
  }

  /** Whether the entry still holds its batch unit (it was not written through). */
  private static holdsUnit(b: WaitingSpan): boolean {
    return b.doc !== null || b.span !== null;
  }

  /** The IDs, name, timestamp and duration of a waiting document, read back from it (see route). */
  private static withHead(b: WaitingSpan): void {
    if (b.doc !== null) readHead(b.doc, b, b.head);
  }

  private assemble(key: string, b: WaitingSpan): void {
    this.assembleRow(key, this.waiting.add(b), b.doc, b.batchId, b.flags);
  }

  /** `row` of the waiting spans joins its trace's window, or is a late span decided at once. */
  private assembleRow(key: string, row: number, doc: string | null, batchId: number, flags: number): void {
    const bytes = (doc === null ? 0 : doc.length) + WAITING_ROW_BYTES;
    const late = this.windows.add(key, row, bytes, batchId, this.now, (flags & FACT_ROOT) !== 0);
    if (late === 'buffered') return;
    const b = this.waiting.remove(row);
    Pipeline.withHead(b);
    // A span after its trace was flushed still counts in the graph, as a fragment of its own.
    if (this.links) this.deps.onTrace(key, [b], this.now);
    this.stats.inc('spans_late', { reason: late.keep ? 'kept' : 'dropped' });
    // A late span is covered by its trace's decision: counted with the spans it decided.
    if (this.wholeTrace) this.stats.inc('spans_sampled', { policy: late.policy, decision: late.keep ? 'kept' : 'dropped' });
    if (!Pipeline.holdsUnit(b)) return;
    if (late.keep) this.write(b, late, undefined);
    else this.resolveDropped(b.batchId);
  }

  private onFlush(t: FlushedTrace<number>): void {
    this.stats.inc('traces_flushed', { reason: t.reason });
    this.stats.inc('spans_flushed', { reason: t.reason }, t.spanCount);
    const waiting = this.waiting;
    const entries = t.entries.map((row) => waiting.remove(row));
    for (const b of entries) Pipeline.withHead(b);
    // Before sampling: a sampled-out trace still counts in the dependency graph.
    if (this.links) this.deps.onTrace(t.traceId, entries, this.now);
    if (!this.wholeTrace) {
      this.windows.recordDecision(t.traceId, KEEP_ALL_DECISION, this.now);
      // Only documents buffered before a reload switched to write-through are still here.
      for (const b of entries) if (Pipeline.holdsUnit(b)) this.write(b, KEEP_ALL_DECISION, undefined);
      return;
    }
    const verdicts = this.traceChecker.active ? this.traceChecker.check(entries, (i) => traceIdOf(entries[i] as WaitingSpan)) : null;
    const decision = this.sampler.decide(summarize(t.traceId, entries), this.now);
    this.windows.recordDecision(t.traceId, decision, this.now);
    if (this.decided !== undefined) this.logDecision(t.traceId, entries, decision);
    this.stats.inc('traces_sampled', { policy: decision.policy, decision: decision.keep ? 'kept' : 'dropped' });
    this.stats.inc('spans_sampled', { policy: decision.policy, decision: decision.keep ? 'kept' : 'dropped' }, entries.length);
    for (let i = 0; i < entries.length; i++) {
      const b = entries[i] as WaitingSpan;
      if (!Pipeline.holdsUnit(b)) continue;
      const v = verdicts?.[i];
      if (v !== undefined && v.action !== 'fix') {
        this.stats.inc('quality', { rule: v.rule, action: v.action, service: b.service });
        if (v.action === 'quarantine') this.quarantine(b, v);
        else this.resolveDropped(b.batchId);
      } else if (decision.keep) this.write(b, decision, v);
      else this.resolveDropped(b.batchId);
    }
    // Resolved units are posted once per batch, tick or drain (postDropped), not once per trace: a
    // message per flushed trace cost the coordinator ten times its usual work (bench, sampling).
  }

  private write(b: WaitingSpan, decision: TraceDecision, fix: TraceVerdict | undefined): void {
    let doc = b.doc;
    let index = b.index;
    let traceId: string;
    if (b.span !== null) {
      const span = b.span;
      if (fix?.traceId !== undefined) {
        this.stats.inc('quality', { rule: fix.rule, action: 'fix', service: b.service });
        span.traceId = fix.traceId;
        const fixed = span.tags?.['tracefold.fixed'];
        span.tags = { ...span.tags, 'tracefold.fixed': fixed === undefined ? fix.rule : `${fixed},${fix.rule}` };
      }
      if (this.sampler.tagKept) span.tags = { ...span.tags, [SAMPLED_TAG]: decision.policy };
      const d = documentOf(span, this.doc, this.now);
      doc = d.doc;
      index = d.index;
      traceId = span.traceId;
    } else {
      if (doc === null) return;
      traceId = traceIdOfDocument(doc);
      // The policy is known only now; the few kept documents are encoded again with it (cheaper than
      // carrying a placeholder in every buffered document).
      if (this.sampler.tagKept) doc = withTag(doc, SAMPLED_TAG, decision.policy, this.doc.searchEnabled);
    }
    this.sink.write({ lines: spanBulkItem(index, this.doc.supportsTypes, traceId, doc), batchId: b.batchId, units: 1, ref: b.prov });
  }

  private quarantine(b: WaitingSpan, v: TraceVerdict): void {
    const json = b.span !== null ? JSON.stringify(b.span) : spanJsonFromDocument(b.doc as string);
    const reason = v.rule === 'mixed_trace_id' ? 'trace mixes 64-bit and 128-bit trace IDs' : 'another span of the trace has this span ID';
    this.postDeadLetter(Buffer.from(`[${json}]`), b.batchId, b.prov, v.rule, reason, 'json-v2');
  }

  /** A span a quality rule rejected, to the dead-letter topic as Zipkin JSON v2 with the rule as its code. */
  private quarantineSpan(span: Span, batchId: number, prov: Provenance, rule: string, reason: string): void {
    this.postDeadLetter(Buffer.from(`[${JSON.stringify(span)}]`), batchId, prov, rule, reason, 'json-v2');
  }

  /**
   * Stage 2: keeps the decision for the decision log, under the keyed partition the trace came from,
   * so whoever owns that partition next can read it back (spans buffered before a reload to
   * whole-trace mode carry no provenance and give no partition: such a trace is not logged).
   */
  private logDecision(key: string, entries: readonly WaitingSpan[], decision: TraceDecision): void {
    const d = this.decided as DecisionsMessage;
    for (const b of entries) {
      if (b.prov.partition < 0) continue;
      d.keys.push(key);
      d.partitions.push(b.prov.partition);
      d.keep.push(decision.keep);
      d.policies.push(decision.policy);
      return;
    }
  }

  /** Before any `resolved` message: see protocol.ts `DecisionsMessage`. */
  private postDecisions(): void {
    const d = this.decided;
    if (d === undefined || d.keys.length === 0) return;
    this.post({ type: 'decisions', keys: d.keys, partitions: d.partitions, keep: d.keep, policies: d.policies });
    this.stats.inc('decisions_logged', {}, d.keys.length);
    d.keys = [];
    d.partitions = [];
    d.keep = [];
    d.policies = [];
  }

  /**
   * Stage 2: decisions the previous owner of a newly assigned partition logged; this worker's spans
   * of those traces then follow them as late spans do, instead of deciding a fragment anew.
   */
  onSeedDecisions(msg: SeedDecisionsMessage): void {
    this.advanceClock();
    for (let i = 0; i < msg.keys.length; i++) {
      const keep = msg.keep[i] === true;
      const policy = msg.policies[i] as string;
      const id = `${keep ? 1 : 0}${policy}`;
      let decision = this.restored.get(id);
      if (decision === undefined) {
        decision = { keep, policy };
        this.restored.set(id, decision);
      }
      this.windows.recordDecision(msg.keys[i] as string, decision, this.now);
    }
    this.stats.inc('decisions_restored', {}, msg.keys.length);
  }

  private resolveDropped(batchId: number): void {
    this.dropped.set(batchId, (this.dropped.get(batchId) ?? 0) + 1);
  }

  private postDropped(): void {
    this.postDecisions();
    if (this.dropped.size === 0) return;
    const batchIds = [...this.dropped.keys()];
    const counts = [...this.dropped.values()];
    this.dropped.clear();
    this.post({ type: 'resolved', batchIds, counts });
  }

  /**
   * Spans are stamped with the time their batch is processed, not the last tick's: ticks queue
   * behind batches, so a tick-only clock would stamp a slow batch's spans up to a batch-time in the
   * past and its traces would look quiet, and be flushed in fragments, before the next batch (already
   * queued, with the rest of those traces) is read.
   */
  private advanceClock(): void {
    // The coordinator's clock (ticks) plus the time elapsed here since the last tick.
    const now = Math.floor(this.tickNow + (performance.now() - this.tickLocal));
    if (now > this.now) this.now = now;
  }

  /** `quiet`: see TickMessage. */
  onTick(now: number, quiet?: number): void {
    this.tickNow = now;
    this.tickLocal = performance.now();
    this.now = now;
    this.windows.tick(now, quiet);
    this.linkWindows.tick(now, quiet);
    this.postDropped();
    this.writeDependencyDocs(false);
    if (now - this.lastStats >= STATS_INTERVAL_MS) this.reportStats(now);
  }

  /** Flushes every window and writes everything, once `forwards` forward messages have arrived. */
  async drain(forwards = 0): Promise<void> {
    await this.forwardsIn(forwards);
    this.windows.flushAll();
    this.linkWindows.flushAll();
    this.postDropped();
    this.writeDependencyDocs(true);
    await this.sink.drain();
    this.reportStats(this.now);
  }

  async close(): Promise<void> {
    this.gc.stop();
    await this.sink.close();
  }

  private writeDependencyDocs(all: boolean): void {
    const items = this.deps.seal(all);
    if (!this.writeDependencies) return;
    for (const lines of items) this.sink.write({ lines, batchId: -1, units: 0, ref: DEPENDENCY_REF });
    if (items.length > 0) this.stats.inc('dependency_docs', {}, items.length);
  }

  private reportStats(now: number): void {
    this.lastStats = now;
    if (this.firstSplit !== undefined) {
      this.post({ type: 'keying', worker: this.worker, splitTraces: this.splits, example: this.firstSplit });
      this.splits = 0;
      this.firstSplit = undefined;
    }
    const edges = this.deps.takeLive();
    if (edges.length > 0) this.post({ type: 'links', worker: this.worker, at: now, edges });
    const failingSince = this.sink.failingSince;
    const heap = getHeapStatistics();
    this.post({
      type: 'stats',
      worker: this.worker,
      counters: this.stats.take(),
      gauges: {
        bufferedSpans: this.windows.bufferedSpans + this.linkWindows.bufferedSpans,
        bufferedTraces: this.windows.bufferedTraces + this.linkWindows.bufferedTraces,
        bufferedBytes: this.windows.bufferedBytes + this.linkWindows.bufferedBytes,
        bulkInFlight: this.sink.inFlight,
        sinkFailingMs: failingSince === null ? 0 : Math.max(1, now - failingSince),
        heapUsedBytes: heap.used_heap_size,
        heapTotalBytes: heap.total_heap_size,
        externalBytes: heap.external_memory,
      },
      sinkFailure: this.sink.failure,
      bulkLatencies: this.bulkLatencies,
      gcPauseMs: this.gc.take(),
    });
    this.bulkLatencies = [];
  }

  /** A record as received: `value` is a view into the batch buffer, which must not be retained, so it is copied. */
  private deadLetter(value: Uint8Array, batchId: number, prov: Provenance, code: string, reason: string, encoding: string): void {
    this.postDeadLetter(value.slice(), batchId, prov, code, reason, encoding);
  }

  /** `value` must be owned by the record (not a view into a batch). */
  private postDeadLetter(value: Uint8Array, batchId: number, prov: Provenance, code: string, reason: string, encoding: string): void {
    const rec: DeadLetterRecord = {
      batchId,
      value,
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
