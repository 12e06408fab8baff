import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientProperties, isSecretProperty, kafkaConnection, toConnection } from '../../../../src/kafka/connection.js';
import { groupInstanceId } from '../../../../src/kafka/membership.js';

test('security and socket properties reach every client; consumer tuning stays with the consumer', () => {
  const props = {
    'security.protocol': 'SASL_SSL',
    'sasl.mechanism': 'SCRAM-SHA-512',
    'sasl.username': 'u',
    'sasl.password': 'p',
    'ssl.ca.location': '/ca.pem',
    'ssl.endpoint.identification.algorithm': 'https',
    'enable.ssl.certificate.verification': 'true',
    'socket.keepalive.enable': 'true',
    'broker.address.family': 'v4',
    'fetch.min.bytes': '1',
    'session.timeout.ms': '10000',
    'max.poll.interval.ms': '60000',
  };
  assert.deepEqual(clientProperties(props), {
    'security.protocol': 'SASL_SSL',
    'sasl.mechanism': 'SCRAM-SHA-512',
    'sasl.username': 'u',
    'sasl.password': 'p',
    'ssl.ca.location': '/ca.pem',
    'ssl.endpoint.identification.algorithm': 'https',
    'enable.ssl.certificate.verification': 'true',
    'socket.keepalive.enable': 'true',
    'broker.address.family': 'v4',
  });
  assert.deepEqual(kafkaConnection('b:9092', props).bootstrapServers, 'b:9092');
});

test('a bare bootstrap string is a connection without properties', () => {
  assert.deepEqual(toConnection('127.0.0.1:9092'), { bootstrapServers: '127.0.0.1:9092', properties: {} });
  const c = kafkaConnection('x:1', { 'security.protocol': 'SSL' });
  assert.equal(toConnection(c), c);
});

test('group.instance.id: configured, else pod name, else HOSTNAME, else the host name; empty disables', () => {
  const host = () => 'machine-1';
  assert.equal(groupInstanceId('node-a', { POD_NAME: 'pod-0' }, host), 'node-a');
  assert.equal(groupInstanceId('', { POD_NAME: 'pod-0' }, host), undefined);
  assert.equal(groupInstanceId(undefined, { POD_NAME: 'pod-0', HOSTNAME: 'h' }, host), 'pod-0');
  assert.equal(groupInstanceId(undefined, { HOSTNAME: 'h' }, host), 'h');
  assert.equal(groupInstanceId(undefined, { HOSTNAME: '  ' }, host), 'machine-1');
  assert.equal(
    groupInstanceId(undefined, {}, () => ''),
    undefined,
  );
});

test('secret librdkafka properties are recognised for redaction', () => {
  for (const k of [
    'sasl.password',
    'ssl.key.password',
    'ssl.keystore.password',
    'ssl.key.pem',
    'sasl.oauthbearer.client.secret',
    'sasl.oauthbearer.config',
  ])
    assert.ok(isSecretProperty(k), k);
  for (const k of ['sasl.username', 'security.protocol', 'ssl.ca.location', 'ssl.certificate.pem', 'sasl.mechanism'])
    assert.ok(!isSecretProperty(k), k);
});
