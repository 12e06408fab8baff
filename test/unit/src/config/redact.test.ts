/**
 * One redaction everywhere: secrets planted in the config file, the environment and flags never
 * appear in errors, warnings, --help or the effective-config view.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { helpFor } from '../../../../src/config/help.js';
import { loadConfig } from '../../../../src/config/load.js';
import { isSecretName, REDACTED, redactConfig, scrub } from '../../../../src/config/redact.js';
import { COMMANDS } from '../../../../src/config/schema.js';

const dir = mkdtempSync(join(tmpdir(), 'tracefold-redact-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const SECRETS = {
  fileEs: 'file-es-pw-1',
  fileSasl: 'file-sasl-pw-2',
  fileKey: 'file-sslkey-pw-3',
  envEs: 'env-es-pw-4',
  envZipkin: 'env-zipkin-pw-5',
  flagEs: 'flag-es-pw-6',
  flagSasl: 'flag-sasl-pw-7',
  flagBad: 'flag-bad,pw-8',
  envOther: 'env-api-token-9',
} as const;

function leaks(text: string): string[] {
  return Object.values(SECRETS)
    .flatMap((s) => [s, ...s.split(',')])
    .filter((s) => s.length >= 4 && text.includes(s));
}

const file = join(dir, 'secret.yaml');
writeFileSync(
  file,
  [
    'es:',
    '  username: elastic',
    `  password: ${SECRETS.fileEs}`,
    'kafka:',
    '  librdkafka:',
    `    sasl.password: ${SECRETS.fileSasl}`,
    `    ssl.key.password: ${SECRETS.fileKey}`,
    '    security.protocol: SASL_SSL',
  ].join('\n'),
);
const env = {
  TRACEFOLD_ES_PASSWORD: SECRETS.envEs,
  ES_PASSWORD: SECRETS.envZipkin,
  MY_API_TOKEN: SECRETS.envOther,
};

describe('redaction', () => {
  test('a valid load: warnings and the effective config hold no secret, but the config itself has them', () => {
    const r = loadConfig({
      command: 'ingest',
      argv: ['--config', file, '--es-password', SECRETS.flagEs, '--kafka-property', `sasl.password=${SECRETS.flagSasl}`],
      env,
      cwd: dir,
    });
    assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
    assert.equal(r.config.es.password, SECRETS.flagEs);
    assert.equal(r.config.kafka.librdkafka['sasl.password'], SECRETS.flagSasl);
    assert.ok(r.warnings.length >= 2, r.warnings.join('\n')); // ES_PASSWORD ignored; password given as a flag
    assert.deepEqual(leaks(r.warnings.join('\n')), []);

    const view = redactConfig(r.config);
    const printed = JSON.stringify(view);
    assert.deepEqual(leaks(printed), []);
    assert.equal(view.es.password, REDACTED);
    assert.equal(view.kafka.librdkafka['sasl.password'], REDACTED);
    assert.equal(view.kafka.librdkafka['ssl.key.password'], REDACTED);
    assert.equal(view.kafka.librdkafka['security.protocol'], 'SASL_SSL');
    assert.equal(view.es.username, 'elastic');
    assert.ok(!Object.isFrozen(view) || view !== r.config);
  });

  test('a failed load: no error quotes a secret, whichever layer it came from', () => {
    const r = loadConfig({
      command: 'ingest',
      argv: [
        '--config',
        file,
        `--es-password=${SECRETS.flagEs}`,
        // Malformed: the part after the comma is not k=v, and the error would quote it.
        '--kafka-librdkafka',
        `sasl.password=${SECRETS.flagBad}`,
        '--kafka-property',
        `sasl.password=${SECRETS.flagSasl}`,
        '--workers',
        '99',
      ],
      env: { ...env, TRACEFOLD_ES_INDEX_SHARDS: SECRETS.envOther },
      cwd: dir,
    });
    assert.ok(!r.ok);
    assert.ok(r.errors.length >= 3, r.errors.join('\n'));
    assert.deepEqual(leaks(r.errors.join('\n')), [], r.errors.join('\n'));
    assert.ok(
      r.errors.some((e) => e.includes(REDACTED)),
      r.errors.join('\n'),
    );
  });

  test('--help never prints a secret default, for any command', () => {
    for (const command of COMMANDS) assert.deepEqual(leaks(helpFor(command)), []);
    assert.match(helpFor('ingest'), /--es-password <password>\n.*\n\s+default: not set/);
  });

  test('credential names: tracefold keys, librdkafka properties and environment names', () => {
    for (const name of [
      'password',
      'es.password',
      'sasl.password',
      'ssl.key.password',
      'ES_PASSWORD',
      'apiKey',
      'api_key',
      'x-api-key',
      'sasl.oauthbearer.client.secret',
      'ssl.keystore.password',
      'GITHUB_TOKEN',
    ])
      assert.ok(isSecretName(name), name);
    for (const name of ['security.protocol', 'sasl.username', 'es.username', 'autocompleteKeys', 'ssl.ca.location', 'topic'])
      assert.ok(!isSecretName(name), name);
  });

  test('scrub replaces every occurrence, longest secret first', () => {
    assert.equal(scrub('a hunter22 b hunter2', new Set(['hunter2', 'hunter22'])), `a ${REDACTED} b ${REDACTED}`);
  });
});
