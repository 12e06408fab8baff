/** Rules across options (src/config/rules.ts), through loadConfig. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { errors, hasError, load, ok } from './load-helpers.js';

describe('rules across options', () => {
  test('window.quietMs must not exceed window.maxWindowMs', () => {
    hasError(
      errors(load('ingest', ['--window-quiet-ms=1m'])),
      /window\.quietMs \(flag --window-quiet-ms\) must not exceed window\.maxWindowMs \(default\)/,
    );
  });
  test('es.retryInitialMs must not exceed es.retryMaxMs', () => {
    hasError(errors(load('ingest', ['--es-retry-initial-ms=1m'])), /es\.retryInitialMs .* must not exceed es\.retryMaxMs/);
  });
  test('sink.file goes with sink.kind=file, both ways', () => {
    hasError(errors(load('ingest', ['--sink-kind=file'])), /sink\.file is required when sink\.kind/);
    hasError(errors(load('ingest', ['--sink-file=x'])), /sink\.file .* is set but sink\.kind .* is elasticsearch/);
  });
  test('basic auth needs user and password', () => {
    hasError(errors(load('ingest', [], { ES_USERNAME: 'u' })), /es\.password is required when es\.username \(env ES_USERNAME\) is set/);
  });
  test('the dead-letter topic must not be consumed', () => {
    hasError(
      errors(load('ingest', ['--topic=a,a.dead-letter', '--kafka-dead-letter-topic=a.dead-letter'])),
      /must not be one of the consumed topics/,
    );
  });
  test('two-stage topology: the keyed topic is neither consumed raw nor the dead-letter topic, and is reported with other errors', () => {
    const e = errors(
      load('ingest', ['--stage=rekey', '--topic=a,a.keyed', '--rekey-topic=a.keyed', '--http-enabled', '--kafka-batch-max-messages=0']),
    );
    hasError(e, /kafka\.rekeyTopic \(flag --rekey-topic\) must not be one of the consumed raw topics/);
    hasError(e, /http\.enabled .* is not supported with stage/);
    hasError(e, /kafka\.batchMaxMessages/);
    hasError(
      errors(load('ingest', ['--rekey-topic=a.dlq', '--kafka-dead-letter-topic=a.dlq', '--topic=a'])),
      /must differ from kafka\.deadLetterTopic/,
    );
    const fine = load('ingest', ['--stage=assemble', '--topic=spans']);
    ok(fine);
    if (fine.ok) {
      assert.equal(fine.config.stage, 'assemble');
      assert.equal(fine.config.kafka.rekeyTopic, 'spans.by-trace');
    }
  });
  test('reserved librdkafka properties name the option to use instead', () => {
    hasError(
      errors(load('ingest', ['--kafka-property', 'group.id=x'])),
      /kafka\.librdkafka: group\.id cannot be set here: set kafka\.groupId/,
    );
  });
  test('HTTP collector and admin endpoint cannot share a port', () => {
    hasError(errors(load('ingest', ['--http-enabled', '--http-port=9464'])), /http\.port .* and admin\.port .* are the same port/);
    ok(load('ingest', ['--http-enabled', '--http-port=0', '--admin-port=0']));
  });
  test('rules skip options that are already invalid (no follow-on errors)', () => {
    assert.equal(errors(load('ingest', ['--window-quiet-ms=x', '--window-max-window-ms=1s'])).length, 1);
  });
});
