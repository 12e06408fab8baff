import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseProperties } from '../../../../src/cli/produce.js';

test('produce: Kafka properties from the environment, then flags (later wins)', () => {
  const errors: string[] = [];
  const props = parseProperties('security.protocol=SASL_PLAINTEXT,sasl.username=a', ['sasl.username=b', 'sasl.password=x=y'], errors);
  assert.deepEqual(errors, []);
  assert.deepEqual(props, { 'security.protocol': 'SASL_PLAINTEXT', 'sasl.username': 'b', 'sasl.password': 'x=y' });
});

test('produce: a malformed property is an error that does not echo the text (it may be a secret)', () => {
  const errors: string[] = [];
  parseProperties(undefined, ['hunter2'], errors);
  assert.equal(errors.length, 1);
  assert.doesNotMatch(errors[0] ?? '', /hunter2/);
});
