/**
 * Every message that crosses the thread boundary, in one place (coordinator ⇄ worker, worker ⇄ worker).
 *
 * Accounting model (the commit watermark, see ../shared/notes/design-invariants.md): the coordinator
 * gives every dispatched batch an id. The worker that decodes it answers `decoded` with the number
 * of *units* the batch turned into (one per span kept, plus one per dead-letter record). Any worker
 * that later resolves units — written and acknowledged by the search engine, or dropped by a counted
 * policy — reports them in `resolved`, keyed by batch id. Dead-letter records are resolved by the
 * coordinator itself when Kafka acknowledges them. A batch is done when resolved units reach its
 * count; the coordinator commits a partition up to its oldest batch that is not done. Because the
 * coordinator is the only place that decides, no snapshot across workers is ever needed.
 */
import type { MessagePort } from 'node:worker_threads';
import type { Encoding } from '../core/model/span.js';

/** Raw Kafka records of one partition, moved (transferred), never cloned. */
export interface BatchMessage {
  type: 'batch';
  batchId: number;
  topic: string;
  partition: number;
  /** All record values back to back. Transferred. */
  data: ArrayBuffer;
  /** `ends[i]` is the end of record i's value in `data` (start is `ends[i-1]`, or 0). Transferred. */
  ends: Uint32Array;
  /** Kafka offsets of the records. Transferred. */
  offsets: Float64Array;
  /** Decode every record as this encoding (an OTLP/HTTP body); else the topic's setting, else detection. */
  encoding?: Encoding;
}

/** Time reaches stateful stages as an explicit tick, so windows never depend on worker timers. */
export interface TickMessage {
  type: 'tick';
  now: number;
}

/** Flush every window and write everything, then answer `drained` (shutdown, rebalance). */
export interface DrainMessage {
  type: 'drain';
  requestId: number;
}

/** Stop: the worker's long-running task resolves after closing its ports. */
export interface StopMessage {
  type: 'stop';
}

export type CoordinatorToWorker = BatchMessage | TickMessage | DrainMessage | StopMessage;

export interface DecodedMessage {
  type: 'decoded';
  batchId: number;
  /** Units to be resolved later for this batch (may be 0: then it is done). */
  units: number;
  /** Spans decoded (before filtering) and errors found, so an HTTP intake can answer 202 or 400. */
  spans: number;
  errors: number;
  firstError?: string;
}

/** Units resolved, as parallel arrays (batch id, how many of its units). */
export interface ResolvedMessage {
  type: 'resolved';
  batchIds: number[];
  counts: number[];
}

/** Headers written on every dead-letter record (`tracefold-*`). */
export interface DeadLetterRecord {
  batchId: number;
  /** Original bytes (the Kafka record value, or the span as JSON v2 for sink rejections). */
  value: Uint8Array;
  reason: string;
  code: string;
  encoding: string;
  sourceTopic: string;
  partition: number;
  offset: number;
}

/** Records the coordinator must produce to the dead-letter topic; each one is one unit of its batch. */
export interface DeadLetterMessage {
  type: 'dead-letter';
  records: DeadLetterRecord[];
}

/** Counter increments since the last report plus current gauges; folded into Prometheus metrics. */
export interface StatsMessage {
  type: 'stats';
  worker: number;
  /** metric name → label string (k=v,k=v) → increment */
  counters: Record<string, Record<string, number>>;
  gauges: {
    bufferedSpans: number;
    bufferedTraces: number;
    bufferedBytes: number;
    bulkInFlight: number;
    /** Batches received and not yet decoded. */
    inputQueue: number;
    /** How long every write attempt of the sink has failed (0: the last one succeeded). */
    sinkFailingMs: number;
  };
  /** Why the sink's latest write failed, while `sinkFailingMs` > 0. */
  sinkFailure: string | null;
  /** Bulk request latencies in seconds since the last report. */
  bulkLatencies: number[];
}

export interface DrainedMessage {
  type: 'drained';
  requestId: number;
  worker: number;
}

/** A worker failed in a way it cannot recover from: the coordinator stops the node (never a silent respawn). */
export interface FatalMessage {
  type: 'fatal';
  worker: number;
  code: string;
  message: string;
}

export type WorkerToCoordinator = DecodedMessage | ResolvedMessage | DeadLetterMessage | StatsMessage | DrainedMessage | FatalMessage;

/** Spans decoded by one worker but owned by another (by trace-ID hash), msgpackr-packed. Transferred. */
export interface ForwardMessage {
  type: 'forward';
  data: ArrayBuffer;
}

export type WorkerToWorker = ForwardMessage;

/** The single long-running piscina task each worker runs. `port` is transferred in the task's transfer list. */
export interface WorkerTask {
  worker: number;
  workers: number;
  port: MessagePort;
  /** Ports to every worker (index = worker number; own slot is null). Transferred. */
  peers: (MessagePort | null)[];
  /** Plain-data settings (the worker part of the validated config). */
  settings: WorkerSettings;
}

export interface WorkerSettings {
  window: {
    quietMs: number;
    maxWindowMs: number;
    maxSpansPerTrace: number;
    maxBufferedBytes: number;
    lateDecisionTtlMs: number;
    lateDecisionCacheSize: number;
  };
  filter: {
    dropServices: string[];
    dropSpanNames: string[];
    /** tag key → value; a span carrying it is dropped ("*" matches any value). */
    dropTags: Record<string, string>;
  };
  sink: SinkSettings;
  maxMessageBytes: number;
  /** Topic → encoding its records are decoded as, without detection (kafka.topicEncodings). */
  topicEncoding: Record<string, Encoding>;
}

export interface SinkSettings {
  /** 'elasticsearch' writes with _bulk; 'null' resolves on flush (benchmarks, dry runs); 'file' appends NDJSON. */
  kind: 'elasticsearch' | 'null' | 'file';
  hosts: string[];
  username?: string;
  password?: string;
  index: string;
  dateSeparator: string;
  /** ES < 7 and OpenSearch < 2 need `_type`; the coordinator detects the version before workers start. */
  supportsTypes: boolean;
  /** '-' on ES ≥ 7 and OpenSearch; ':' on ES < 7. */
  indexTypeDelimiter: string;
  searchEnabled: boolean;
  autocompleteKeys: string[];
  autocompleteTtlMs: number;
  autocompleteCardinality: number;
  bulkMaxBytes: number;
  bulkMaxInFlight: number;
  pipeline?: string;
  refresh: boolean;
  retry: { initialMs: number; maxMs: number; maxAttempts: number };
  timeoutMs: number;
  /** For kind 'file'. */
  filePath?: string;
}
