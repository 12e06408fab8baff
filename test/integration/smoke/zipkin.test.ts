import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requireHttp, ZIPKIN } from '../../helpers/servers.js';

test('the stock Zipkin server answers /api/v2/services from OpenSearch', async () => {
  await requireHttp(`${ZIPKIN}/health`, 'Zipkin server');
  const res = await fetch(`${ZIPKIN}/api/v2/services`);
  assert.equal(res.status, 200);
  const body = (await res.json()) as unknown;
  assert.ok(Array.isArray(body), 'services is a JSON array');
  const health = (await (await fetch(`${ZIPKIN}/health`)).json()) as {
    status: string;
    zipkin?: { details?: Record<string, { status: string }> };
  };
  assert.equal(health.status, 'UP');
});
