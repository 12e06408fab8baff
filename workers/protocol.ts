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
import type { CounterSample } from './stats.js';

export { type CounterSample, type LabelsOf, labelValue, PIPELINE_COUNTERS, type PipelineCounter, type PipelineLabel } from './stats.js';

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
  /** Record timestamps, epoch ms (0: none); absent when the source has none (receipt time is used). */
  times?: Float64Array;
  /** Decode every record as this encoding (an OTLP/HTTP body); else the topic's setting, else detection. */
  encoding?: Encoding;
}

/** Time reaches stateful stages as an explicit tick, so windows never depend on worker timers. */
export interface TickMessage {
  type: 'tick';
  now: number;
  /**
   * The time up to which every span that may join a buffered trace has been read (at most `now`;
   * `now` when absent): windows measure quiet time against it (src/ingest/quiet-clock.ts).
   */
  quiet?: number;
}

/** Flush every window and write everything, then answer `drained` (shutdown, rebalance). */
export interface DrainMessage {
  type: 'drain';
  requestId: number;
  /**
   * Forward messages this worker must have taken in before it flushes: all those its peers sent for
   * the batches they had answered `decoded` when the drain was requested. Peer ports and the
   * coordinator's port are not ordered with each other, so without this a forward could land after
   * the flush, and its spans would join their trace as a late fragment.
   */
  forwards: number;
}

/** Stop: the worker's long-running task resolves after closing its ports. */
export interface StopMessage {
  type: 'stop';
}

/**
 * New trace-level rules from a reloaded config (SIGHUP or the file changed), applied between two
 * messages, so each worker switches atomically; spans already buffered keep what they carry.
 */
export interface ReconfigureMessage {
  type: 'reconfigure';
  stages: StageSettings;
}

/**
 * Stage 2: sampling decisions read back from the decision log when a keyed partition is assigned
 * (see `DecisionsMessage`), so spans of a trace decided by the partition's previous owner follow
 * that decision. Sent before any batch of the partition (it stays paused until then).
 */
export interface SeedDecisionsMessage {
  type: 'seed-decisions';
  /** Trace keys, and per key whether it was kept and by which policy (parallel arrays). */
  keys: string[];
  keep: boolean[];
  policies: string[];
}

export type CoordinatorToWorker = BatchMessage | TickMessage | DrainMessage | StopMessage | ReconfigureMessage | SeedDecisionsMessage;

export interface DecodedMessage {
  type: 'decoded';
  batchId: number;
  /** Units to be resolved later for this batch (may be 0: then it is done). */
  units: number;
  /** Spans decoded (before filtering) and errors found, so an HTTP intake can answer 202 or 400. */
  spans: number;
  errors: number;
  firstError?: string;
  /** Peers sent one forward message each for this batch (before this answer). */
  forwardedTo?: number[];
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
  /** Increments since the last report, one per counter and label set (catalogue: stats.ts). */
  counters: CounterSample[];
  gauges: {
    bufferedSpans: number;
    bufferedTraces: number;
    bufferedBytes: number;
    bulkInFlight: number;
    /** How long every write attempt of the sink has failed (0: the last one succeeded). */
    sinkFailingMs: number;
    /** This worker's V8 heap (`v8.getHeapStatistics`): live objects, what the heap has reserved, and memory outside it that JS objects hold (Buffers). */
    heapUsedBytes: number;
    heapTotalBytes: number;
    externalBytes: number;
  };
  /** Why the sink's latest write failed, while `sinkFailingMs` > 0. */
  sinkFailure: string | null;
  /** Bulk request latencies in seconds since the last report. */
  bulkLatencies: number[];
  /** Milliseconds the worker's thread was paused in garbage collection since the last report (workers/gc.ts). */
  gcPauseMs: number;
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

/**
 * Dependency-link counts of the traces a worker assembled since its last report (all traces, kept
 * or sampled out), for the live service graph on the admin port. Not part of the accounting.
 */
export interface LinksMessage {
  type: 'links';
  worker: number;
  /** Coordinator clock (last tick) when the counts were taken, epoch ms. */
  at: number;
  /** [parent, child, calls, errors] per edge. */
  edges: [string, string, number, number][];
}

/**
 * Stage 1 (`--stage rekey`): a batch's spans as records for the trace-keyed topic, one per trace
 * (Zipkin Proto3, key = trace key). Each record is one unit of its batch, resolved by the coordinator
 * once Kafka acknowledged it, so raw offsets are committed only behind acknowledged produces.
 * `data` and `ends` are transferred.
 */
export interface RekeyedMessage {
  type: 'rekeyed';
  batchId: number;
  data: ArrayBuffer;
  /** `ends[i]` is the end of record i's value in `data`. */
  ends: Uint32Array;
  keys: string[];
}

/**
 * Stage 2 (`--stage assemble`): traces this worker saw on more than one partition since its last
 * report: the input is not keyed by trace ID, so traces are assembled in fragments.
 */
export interface KeyingMessage {
  type: 'keying';
  worker: number;
  splitTraces: number;
  /** One such trace key and two of its partitions, for the warning. */
  example: { key: string; partitions: [number, number] };
}

/**
 * Stage 2 in whole-trace mode: the sampling decisions of traces this worker flushed, for the
 * decision log (`<keyed topic>.decisions`, same partition number as the trace's keyed partition).
 * Posted before any `resolved` message that covers a unit of those traces, so the coordinator,
 * which commits only once every decision received so far is acknowledged, never commits a keyed
 * offset whose trace's decision a new owner could not read back. Parallel arrays.
 */
export interface DecisionsMessage {
  type: 'decisions';
  keys: string[];
  /** The trace's partition of the keyed topic. */
  partitions: number[];
  keep: boolean[];
  policies: string[];
}

export type WorkerToCoordinator =
  | DecodedMessage
  | DecisionsMessage
  | RekeyedMessage
  | KeyingMessage
  | ResolvedMessage
  | DeadLetterMessage
  | StatsMessage
  | DrainedMessage
  | FatalMessage
  | LinksMessage;

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

/** The part of `WorkerSettings` a config reload may change without a restart. */
export type StageSettings = Pick<WorkerSettings, 'filter' | 'check' | 'traceCheck' | 'sample'>;

export interface WorkerSettings {
  /**
   * single: decode … sink in one process (spans of a trace are forwarded to their owner worker);
   * rekey: decode, check, filter, then keyed records to the coordinator (no windows, no sink);
   * assemble: every span a worker receives is its own (its partition holds whole traces): no forwarding.
   */
  stage: 'single' | 'rekey' | 'assemble';
  window: {
    quietMs: number;
    rootlessQuietMs: number;
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
    /** Include and exclude rules (workers/filter/rules.ts), after the three lists above. */
    rules: FilterRuleSettings[];
  };
  check: CheckSettings;
  traceCheck: TraceCheckSettings;
  sample: SampleSettings;
  /**
   * Dependency links from assembled traces (documents and the live graph). Off with keep-all and no
   * trace-level rule, spans keep no per-trace state at all: written as they arrive, never forwarded.
   */
  dependencies: boolean;
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
  apiKey?: string;
  /** TLS towards the engine (file paths; each worker reads them). */
  tls?: { caFile?: string; certFile?: string; keyFile?: string; verify: boolean };
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
  /** Find the in-flight limit between 1 and bulkMaxInFlight from latency and 429s (workers/sink/elasticsearch/adaptive.ts). */
  bulkAdaptive?: boolean;
  pipeline?: string;
  refresh: boolean;
  retry: { initialMs: number; maxMs: number; maxAttempts: number };
  timeoutMs: number;
  /** For kind 'file'. */
  filePath?: string;
}

/**
 * Ingest-time sampling of assembled traces (workers/sample/). Policies are evaluated in order; the
 * first that keeps a trace names the decision. No policy (the default) keeps every trace and lets
 * spans be written as they arrive.
 */
export interface SampleSettings {
  policies: SamplePolicySettings[];
  /** Tag kept spans with `tracefold.sampled=<policy>`. */
  tagKept: boolean;
}

export type SamplePolicySettings =
  | { type: 'keep_all'; name: string }
  | { type: 'error'; name: string }
  | { type: 'debug'; name: string }
  | {
      type: 'slow';
      name: string;
      /** Fixed threshold on the trace's duration; when absent the threshold is learned. */
      thresholdMs?: number;
      /** Learned threshold: this quantile of durations per (root service, root span name)… */
      quantile: number;
      /** …over a sliding interval of about this long… */
      intervalMs: number;
      /** …once at least this many traces of that root were seen (until then every trace of it is kept). */
      minSamples: number;
    }
  | { type: 'shape'; name: string; perInterval: number; intervalMs: number }
  | { type: 'probabilistic'; name: string; rate: number }
  | { type: 'rate_limit'; name: string; perSecond: number; service?: string };

/** How one string field is matched: exactly, by prefix, by a regular expression, or by presence. */
export interface StringMatch {
  exact?: string;
  prefix?: string;
  /** A JavaScript regular expression source, validated by the config loader. */
  regex?: string;
  /** Only for tags: the key is present (any value). */
  present?: boolean;
}

/**
 * One filter rule: every field given must match (AND). `include` rules, when any exist, admit only
 * spans matching at least one of them; `exclude` rules drop what they match. Names are metric labels.
 */
export interface FilterRuleSettings {
  name: string;
  action: 'include' | 'exclude';
  service?: StringMatch;
  remoteService?: StringMatch;
  spanName?: StringMatch;
  kind?: Array<'CLIENT' | 'SERVER' | 'PRODUCER' | 'CONSUMER' | 'NONE'>;
  tag?: StringMatch & { key: string };
  annotation?: StringMatch;
  minDurationMs?: number;
  maxDurationMs?: number;
}

/**
 * The two data-quality rules that need the whole trace (workers/check/trace.ts); the span-level
 * rules are `CheckSettings`. `off` by default: Zipkin stores such traces as they are.
 */
export interface TraceCheckSettings {
  /** Spans of one trace sharing an ID (and kind and service) with different content: keep the first. */
  duplicateSpanId: 'off' | 'drop' | 'quarantine';
  /** 64-bit trace IDs beside the 128-bit form of the same trace: `fix` gives them the 128-bit ID. */
  mixedTraceId: 'off' | 'fix' | 'drop' | 'quarantine';
}

export const TRACE_CHECK_DEFAULTS: TraceCheckSettings = { duplicateSpanId: 'off', mixedTraceId: 'off' };

/**
 * The span-level data-quality rules (workers/check/span.ts), in the order they run. A rule not
 * listed is off. Parameters have defaults (see `SPAN_RULE_DEFAULTS` there).
 */
export interface CheckSettings {
  rules: SpanRuleSettings[];
}

export const SPAN_RULES = ['missing_timestamp', 'bad_duration', 'timestamp_skew', 'long_name', 'long_tag', 'placeholder_service'] as const;
export type SpanRuleName = (typeof SPAN_RULES)[number];
/** Rules whose problem has no repair: `fix` is refused for them when the config is validated. */
export const NO_FIX_RULES: readonly SpanRuleName[] = ['timestamp_skew', 'placeholder_service'];

export interface SpanRuleSettings {
  rule: SpanRuleName;
  action: 'fix' | 'drop' | 'quarantine';
  /** bad_duration: longest plausible duration. */
  maxDurationMs?: number;
  /** timestamp_skew: how far ahead of the clock / behind it a timestamp may be. */
  maxFutureMs?: number;
  maxPastMs?: number;
  /** long_name, long_tag: longest name, tag key and tag value (UTF-16 units). */
  maxLength?: number;
  maxValueLength?: number;
  /** placeholder_service: local service names that mean "not set". */
  names?: string[];
}
