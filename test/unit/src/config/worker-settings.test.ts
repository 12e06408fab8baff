import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../../../../src/config/load.js';
import type { Config } from '../../../../src/config/schema.js';
import { toWorkerSettings } from '../../../../src/config/worker-settings.js';

function config(argv: string[], env: Record<string, string> = {}): Config {
  const r = loadConfig({ command: 'ingest', argv, env, cwd: '/srv' });
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  return r.config;
}

describe('toWorkerSettings', () => {
  test('maps window, filter, sink and limits from the config and the detected engine', () => {
    const c = config(
      [
        '--window-quiet-ms=2s',
        '--window-max-buffered-bytes-per-worker=64MiB',
        '--filter-drop-services=noise',
        '--drop-tag',
        'k=*',
        '--es-refresh',
      ],
      { ES_HOSTS: 'es1', ES_INDEX: 'traces', ES_USERNAME: 'u', ES_PASSWORD: 'p', ES_PIPELINE: 'pipe', AUTOCOMPLETE_KEYS: 'env' },
    );
    const s = toWorkerSettings(c, { supportsTypes: true, delimiter: ':' });
    assert.deepEqual(s.window, {
      quietMs: 2_000,
      rootlessQuietMs: 20_000,
      maxWindowMs: 30_000,
      maxSpansPerTrace: 10_000,
      maxBufferedBytes: 64 * 2 ** 20,
      lateDecisionTtlMs: 60_000,
      lateDecisionCacheSize: 100_000,
    });
    assert.deepEqual(s.filter, { dropServices: ['noise'], dropSpanNames: [], dropTags: { k: '*' }, rules: [] });
    assert.deepEqual(s.sink, {
      kind: 'elasticsearch',
      hosts: ['http://es1:9200'],
      username: 'u',
      password: 'p',
      index: 'traces',
      dateSeparator: '-',
      supportsTypes: true,
      indexTypeDelimiter: ':',
      searchEnabled: true,
      autocompleteKeys: ['env'],
      autocompleteTtlMs: 3_600_000,
      autocompleteCardinality: 20_000,
      bulkMaxBytes: 5 * 2 ** 20,
      bulkMaxInFlight: 2,
      pipeline: 'pipe',
      refresh: true,
      retry: { initialMs: 100, maxMs: 30_000, maxAttempts: 10 },
      timeoutMs: 10_000,
      tls: { verify: true },
    });
    assert.equal(s.maxMessageBytes, 16 * 2 ** 20);
  });

  test('unset optional fields are absent, the file sink carries its path, and the result is plain mutable data', () => {
    const s = toWorkerSettings(config(['--sink-kind=file', '--sink-file=spans.ndjson']), { supportsTypes: false, delimiter: '-' });
    assert.equal(s.sink.kind, 'file');
    assert.equal(s.sink.filePath, '/srv/spans.ndjson');
    for (const k of ['username', 'password', 'pipeline'] as const) assert.ok(!(k in s.sink), k);
    assert.ok(!Object.isFrozen(s.filter.dropServices) && !Object.isFrozen(s.sink.hosts));
    assert.deepEqual(structuredClone(s), s);
  });
});
