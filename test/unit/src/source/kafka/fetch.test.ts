import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nodeOptions } from '../../../../../src/cli/pipeline-setup.js';
import { loadConfig } from '../../../../../src/config/load.js';
import { toWorkerSettings } from '../../../../../src/config/worker-settings.js';
import { consumerFetchProperties, consumerQueueBytes } from '../../../../../src/source/kafka/fetch.js';

const MiB = 1024 * 1024;

test('the read-ahead queue is half the outstanding-bytes budget, capped at librdkafka’s 64 MiB default', () => {
  assert.deepEqual(consumerFetchProperties({ batchMaxBytes: MiB, maxOutstandingBytes: 32 * MiB }), {
    'fetch.max.bytes': String(MiB),
    'queued.max.messages.kbytes': String(16 * 1024),
  });
  // The default budget (256 MiB) keeps librdkafka's default.
  assert.equal(consumerFetchProperties({ batchMaxBytes: MiB, maxOutstandingBytes: 256 * MiB })['queued.max.messages.kbytes'], '65536');
  assert.equal(consumerQueueBytes({ batchMaxBytes: MiB, maxOutstandingBytes: 8 * MiB }), 4 * MiB);
});

test('the queue always holds at least one fetch, and one fetch fills at least a batch', () => {
  const small = consumerFetchProperties({ batchMaxBytes: 64 * 1024, maxOutstandingBytes: MiB });
  assert.equal(small['fetch.max.bytes'], String(MiB));
  assert.equal(small['queued.max.messages.kbytes'], '1024');
  const big = consumerFetchProperties({ batchMaxBytes: 100 * MiB, maxOutstandingBytes: 32 * MiB });
  assert.equal(big['fetch.max.bytes'], String(100 * MiB));
  assert.equal(big['queued.max.messages.kbytes'], String(100 * 1024));
});

function consumerExtra(argv: string[]): Record<string, string> {
  const loaded = loadConfig({ command: 'ingest', argv, env: {}, cwd: process.cwd() });
  assert.ok(loaded.ok, loaded.ok ? '' : loaded.errors.join('\n'));
  const settings = toWorkerSettings(loaded.config, { supportsTypes: false, delimiter: '-' });
  return nodeOptions(loaded.config, settings).source.extra;
}

test('ingest derives the consumer queue from --backpressure-max-outstanding-bytes; a --kafka-property wins', () => {
  assert.equal(consumerExtra(['--backpressure-max-outstanding-bytes', String(32 * MiB)])['queued.max.messages.kbytes'], '16384');
  assert.equal(
    consumerExtra(['--backpressure-max-outstanding-bytes', String(32 * MiB), '--kafka-property', 'queued.max.messages.kbytes=2048'])[
      'queued.max.messages.kbytes'
    ],
    '2048',
  );
});
