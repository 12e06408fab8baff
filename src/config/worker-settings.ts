/**
 * The part of the validated config that crosses into worker threads. Plain data only (it is
 * structured-cloned once per worker at start), and fresh mutable arrays so nothing a worker does can
 * reach back into the coordinator's frozen config.
 */
import type { Encoding } from '../../core/model/span.js';
import type { SinkSettings, StageSettings, WorkerSettings } from '../../workers/protocol.js';
import type { Config } from './schema.js';
import { checkSettingsOf } from './stages.js';

/** Facts about the search engine the coordinator learns before starting workers (GET / on the cluster). */
export interface DetectedEngine {
  /** ES < 7 and OpenSearch < 2 need `_type` in bulk actions. */
  readonly supportsTypes: boolean;
  /** Between index prefix and document type: '-' on ES ≥ 7 and OpenSearch, ':' on ES < 7. */
  readonly delimiter: string;
}

/** The rule-driven part of the worker settings: what a config reload can change without a restart. */
export function toStageSettings(config: Config): StageSettings {
  const { filter } = config;
  return {
    filter: {
      dropServices: [...filter.dropServices],
      dropSpanNames: [...filter.dropSpanNames],
      dropTags: { ...filter.dropTags },
      rules: filter.rules.map((r) => structuredClone(r)),
    },
    ...checkSettingsOf(config.check.rules),
    sample: { policies: config.sample.policies.map((p) => ({ ...p })), tagKept: config.sample.tagKept },
  };
}

export function toWorkerSettings(config: Config, detected: DetectedEngine): WorkerSettings {
  const { es, sink, window } = config;
  // Stage 1 writes nothing to the search engine: its output is the trace-keyed topic.
  const stage = config.stage ?? 'single';
  const sinkSettings: SinkSettings = {
    kind: stage === 'rekey' ? 'null' : sink.kind,
    hosts: [...es.hosts],
    index: es.index,
    dateSeparator: es.dateSeparator,
    supportsTypes: detected.supportsTypes,
    indexTypeDelimiter: detected.delimiter,
    searchEnabled: es.searchEnabled,
    autocompleteKeys: [...es.autocompleteKeys],
    autocompleteTtlMs: es.autocompleteTtlMs,
    autocompleteCardinality: es.autocompleteCardinality,
    bulkMaxBytes: es.bulkMaxBytes,
    bulkMaxInFlight: es.bulkMaxInFlight,
    refresh: es.refresh,
    retry: { initialMs: es.retryInitialMs, maxMs: es.retryMaxMs, maxAttempts: es.retryMaxAttempts },
    timeoutMs: es.timeoutMs,
  };
  // Optional fields are left out rather than set to undefined, so the settings compare and log cleanly.
  if (es.username !== undefined) sinkSettings.username = es.username;
  if (es.password !== undefined) sinkSettings.password = es.password;
  if (es.apiKey !== undefined) sinkSettings.apiKey = es.apiKey;
  sinkSettings.tls = searchTls(es);
  if (es.pipeline !== undefined) sinkSettings.pipeline = es.pipeline;
  if (es.bulkAdaptive) sinkSettings.bulkAdaptive = true;
  if (sink.file !== undefined) sinkSettings.filePath = sink.file;

  return {
    stage,
    window: {
      quietMs: window.quietMs,
      rootlessQuietMs: window.rootlessQuietMs,
      maxWindowMs: window.maxWindowMs,
      maxSpansPerTrace: window.maxSpansPerTrace,
      maxBufferedBytes: window.maxBufferedBytesPerWorker,
      lateDecisionTtlMs: window.lateDecisionTtlMs,
      lateDecisionCacheSize: window.lateDecisionCacheSize,
    },
    ...toStageSettings(config),
    dependencies: config.dependencies.enabled,
    sink: sinkSettings,
    maxMessageBytes: config.maxMessageBytes,
    // The schema's check admits only known encodings.
    topicEncoding: { ...(config.kafka.topicEncodings as Record<string, Encoding>) },
  };
}

/** The TLS settings of the search-engine client, without the unset files. */
export function searchTls(es: Config['es']): NonNullable<SinkSettings['tls']> {
  return {
    verify: es.tlsVerify,
    ...(es.tlsCaFile !== undefined ? { caFile: es.tlsCaFile } : {}),
    ...(es.tlsCertFile !== undefined ? { certFile: es.tlsCertFile } : {}),
    ...(es.tlsKeyFile !== undefined ? { keyFile: es.tlsKeyFile } : {}),
  };
}
