/**
 * A search engine that requires TLS and authentication (an authenticating HTTPS proxy in front of
 * the shared OpenSearch: the infra engines are OSS builds without a security plugin). The right
 * credentials and CA get through, wrong ones are refused with a clear error, verification is on by
 * default, a client certificate is presented when configured; and a full ingest through it stores
 * every span without ever printing the password or the API key.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { createSearchClient, detectVersion, type SearchClientOptions } from '../../../core/elasticsearch/client.js';
import { deleteTopic, ensureTopics } from '../../../src/kafka/admin.js';
import { assertIdentity, compareIdentities, expectedIdentities } from '../../helpers/identity.js';
import { committedTotal, produceTraces } from '../../helpers/kafka.js';
import { deleteIndices, storedSpanKeys } from '../../helpers/search.js';
import { makeTestPki, removePki, SecureProxy, type TestPki } from '../../helpers/secure-proxy.js';
import { KAFKA, OPENSEARCH, requireHttp, uniqueName } from '../../helpers/servers.js';
import { startTracefold, waitFor } from '../../helpers/tracefold.js';
import { syntheticTraces } from '../../helpers/traffic.js';

const USER = 'tracefold';
const PASSWORD = 'planted-es-password-7f3a';
const API_KEY = Buffer.from('key-id:planted-api-key-91c2').toString('base64');

async function version(opts: Partial<SearchClientOptions> & { hosts: string[] }): Promise<string> {
  const client = createSearchClient({ timeoutMs: 5000, maxRetries: 0, ...opts });
  try {
    return (await detectVersion(client)).number;
  } finally {
    await client.close();
  }
}

describe('secured search engine', () => {
  let pki: TestPki;
  let proxy: SecureProxy;
  let url: string;
  let mtls: SecureProxy;
  let mtlsUrl: string;
  before(async () => {
    await requireHttp(OPENSEARCH, 'OpenSearch');
    pki = makeTestPki();
    proxy = new SecureProxy({ upstream: OPENSEARCH, pki, username: USER, password: PASSWORD, apiKey: API_KEY });
    url = await proxy.listen();
    mtls = new SecureProxy({ upstream: OPENSEARCH, pki, username: USER, password: PASSWORD, apiKey: API_KEY, requireClientCert: true });
    mtlsUrl = await mtls.listen();
  });
  after(async () => {
    await proxy.close();
    await mtls.close();
    removePki(pki);
  });

  test('basic auth and API key with the right CA get through', async () => {
    const tls = { caFile: pki.caFile, verify: true };
    assert.match(await version({ hosts: [url], username: USER, password: PASSWORD, tls }), /^\d+\./);
    assert.match(await version({ hosts: [url], apiKey: API_KEY, tls }), /^\d+\./);
  });

  test('wrong or missing credentials are refused with a clear error that does not print the secret', async () => {
    const tls = { caFile: pki.caFile, verify: true };
    const refusedBefore = proxy.refused;
    for (const creds of [{ username: USER, password: 'wrong-password-5d1e' }, { apiKey: 'd3Jvbmc6a2V5' }, {}]) {
      await assert.rejects(version({ hosts: [url], tls, ...creds }), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'TF_SEARCH_AUTH');
        assert.match(err.message, /refused tracefold's credentials \(HTTP 401/);
        assert.doesNotMatch(err.message, /wrong-password|d3Jvbmc6a2V5/);
        return true;
      });
    }
    assert.equal(proxy.refused - refusedBefore, 3, 'each attempt reached the engine and was refused there');
  });

  test('certificate verification is on by default: an unknown CA fails, verify=false is an explicit opt-out', async () => {
    await assert.rejects(version({ hosts: [url], username: USER, password: PASSWORD }), /certificate|self[- ]signed/i);
    await assert.rejects(
      version({ hosts: [url], username: USER, password: PASSWORD, tls: { caFile: pki.otherCaFile, verify: true } }),
      /certificate|self[- ]signed/i,
    );
    assert.match(await version({ hosts: [url], username: USER, password: PASSWORD, tls: { verify: false } }), /^\d+\./);
  });

  test('a client certificate is presented when configured, and required by the engine', async () => {
    await assert.rejects(version({ hosts: [mtlsUrl], username: USER, password: PASSWORD, tls: { caFile: pki.caFile, verify: true } }));
    const tls = { caFile: pki.caFile, certFile: pki.clientCertFile, keyFile: pki.clientKeyFile, verify: true };
    assert.match(await version({ hosts: [mtlsUrl], username: USER, password: PASSWORD, tls }), /^\d+\./);
  });

  test('an unreadable CA file is a configuration error naming the option', () => {
    assert.throws(() => createSearchClient({ hosts: [url], timeoutMs: 1000, tls: { caFile: '/nonexistent/ca.pem', verify: true } }), {
      code: 'TF_CONFIG',
      message: /es\.tlsCaFile: cannot read \/nonexistent\/ca\.pem/,
    });
  });

  test('ingest through the secured engine (setup and every worker) stores every span; secrets never printed', {
    timeout: 240_000,
  }, async () => {
    const topic = uniqueName('tf-secure-es');
    const index = uniqueName('tfsecure');
    const group = uniqueName('g');
    await ensureTopics(KAFKA, [{ topic, partitions: 2 }]);
    const traces = syntheticTraces(1, 11);
    const messages = await produceTraces(topic, traces);
    const forwardedBefore = mtls.forwarded;
    const tf = startTracefold(
      ['ingest', '--workers', '2', '--admin-port', '0', '--window-quiet-ms', '200ms', '--kafka-commit-interval-ms', '300ms'],
      {
        KAFKA_BOOTSTRAP_SERVERS: KAFKA,
        KAFKA_TOPIC: topic,
        KAFKA_GROUP_ID: group,
        ES_HOSTS: mtlsUrl,
        ES_USERNAME: USER,
        ES_PASSWORD: PASSWORD,
        TRACEFOLD_ES_TLS_CA_FILE: pki.caFile,
        TRACEFOLD_ES_TLS_CERT_FILE: pki.clientCertFile,
        TRACEFOLD_ES_TLS_KEY_FILE: pki.clientKeyFile,
        ES_INDEX: index,
        ES_INDEX_REPLICAS: '0',
        ES_INDEX_SHARDS: '1',
        LOG_LEVEL: 'debug',
      },
      index,
    );
    try {
      await waitFor('offsets committed to the end', async () => (await committedTotal(group, topic, 2)) === messages, 180_000, 300);
      tf.child.kill('SIGTERM');
      assert.equal(await tf.exited, 0, `clean exit (log ${tf.logFile})`);
      assert.ok(mtls.forwarded > forwardedBefore, 'the writes went through the secured endpoint');
      assertIdentity(compareIdentities('secured search engine', expectedIdentities(traces), await storedSpanKeys(`${index}-span-*`)));
      const log = readFileSync(tf.logFile, 'utf8');
      assert.doesNotMatch(log, new RegExp(PASSWORD), 'the password is never printed');
      assert.doesNotMatch(log, new RegExp(Buffer.from(`${USER}:${PASSWORD}`).toString('base64')), 'nor its basic-auth form');
    } finally {
      tf.child.kill('SIGKILL');
      await deleteIndices(`${index}-*`);
      await deleteTopic(KAFKA, topic).catch(() => undefined);
    }
  });
});
