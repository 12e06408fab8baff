import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { didYouMean, editDistance, suggest } from '../../../../src/config/suggest.js';

describe('suggestions for unknown names', () => {
  test('edit distance counts a transposition as one edit', () => {
    assert.equal(editDistance('topic', 'topic'), 0);
    assert.equal(editDistance('topc', 'topic'), 1);
    assert.equal(editDistance('tpoic', 'topic'), 1);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('kitten', 'sitting'), 3);
  });

  test('nearest key by spelling, by case/separator folding, by section', () => {
    const keys = ['kafka.topic', 'kafka.groupId', 'kafka.bootstrapServers', 'es.hosts', 'es.index'];
    assert.equal(suggest('kafka.topc', keys, '.'), 'kafka.topic');
    assert.equal(suggest('kafka.bootstrap_servers', keys, '.'), 'kafka.bootstrapServers');
    assert.equal(suggest('kafka.group-id', keys, '.'), 'kafka.groupId');
    assert.equal(suggest('es.topic', keys, '.'), 'kafka.topic');
    assert.equal(suggest('something.else', keys, '.'), undefined);
  });

  test('a flag given without its section prefix finds the full flag', () => {
    assert.equal(suggest('--bootstrap-servers', ['--kafka-bootstrap-servers', '--kafka-topic'], '-'), '--kafka-bootstrap-servers');
  });

  test('didYouMean formats the hint, or nothing', () => {
    assert.equal(didYouMean('--wokers', ['--workers'], '-'), '; did you mean --workers?');
    assert.equal(didYouMean('--zzzzzz', ['--workers'], '-'), '');
  });
});
