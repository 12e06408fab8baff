/** Worker settings for unit tests, spelled out (no config loading): null sink, short windows. */
import type { WorkerSettings } from '../../workers/protocol.js';

export function testWorkerSettings(
  overrides: {
    filter?: Partial<WorkerSettings['filter']>;
    window?: Partial<WorkerSettings['window']>;
    sample?: WorkerSettings['sample'];
    traceCheck?: WorkerSettings['traceCheck'];
    check?: WorkerSettings['check'];
    sink?: Partial<WorkerSettings['sink']>;
    stage?: WorkerSettings['stage'];
    dependencies?: boolean;
  } = {},
): WorkerSettings {
  return {
    stage: overrides.stage ?? 'single',
    window: {
      quietMs: 1_000,
      // Roots are not waited for unless a test asks (the product's default waits 30 s).
      rootlessQuietMs: 1_000,
      maxWindowMs: 10_000,
      maxSpansPerTrace: 1_000,
      maxBufferedBytes: 16 * 2 ** 20,
      lateDecisionTtlMs: 60_000,
      lateDecisionCacheSize: 1_000,
      ...overrides.window,
    },
    filter: { dropServices: [], dropSpanNames: [], dropTags: {}, rules: [], ...overrides.filter },
    check: overrides.check ?? { rules: [] },
    traceCheck: overrides.traceCheck ?? { duplicateSpanId: 'off', mixedTraceId: 'off' },
    sample: overrides.sample ?? { policies: [], tagKept: true },
    dependencies: overrides.dependencies ?? true,
    sink: {
      kind: 'null',
      hosts: [],
      index: 'zipkin',
      dateSeparator: '-',
      supportsTypes: false,
      indexTypeDelimiter: '-',
      searchEnabled: true,
      autocompleteKeys: [],
      autocompleteTtlMs: 3_600_000,
      autocompleteCardinality: 1_000,
      bulkMaxBytes: 1 * 2 ** 20,
      bulkMaxInFlight: 2,
      refresh: false,
      retry: { initialMs: 10, maxMs: 100, maxAttempts: 3 },
      timeoutMs: 1_000,
      ...overrides.sink,
    },
    maxMessageBytes: 1 * 2 ** 20,
    topicEncoding: {},
  };
}
