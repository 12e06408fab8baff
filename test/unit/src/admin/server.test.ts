import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { LiveGraph } from '../../../../src/admin/graph.js';
import { startAdminServer } from '../../../../src/admin/server.js';
import { Metrics } from '../../../../src/telemetry/metrics.js';

describe('admin server', () => {
  it('serves the live graph as JSON at /api/graph', async () => {
    const graph = new LiveGraph();
    graph.add(Date.now() - 2_000, [['web', 'app', 7, 1]]);
    const server = await startAdminServer('127.0.0.1', 0, new Metrics(), () => ({ status: 'UP', details: {} }), {
      graph: (now) => graph.snapshot(now),
    });
    try {
      const { port } = server.address() as AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/api/graph?x=1`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
      const body = (await res.json()) as {
        nodes: { name: string }[];
        edges: { source: string; target: string; calls: number; errors: number }[];
      };
      assert.deepEqual(
        body.nodes.map((n) => n.name),
        ['app', 'web'],
      );
      assert.deepEqual(
        body.edges.map((e) => [e.source, e.target, e.calls, e.errors]),
        [['web', 'app', 7, 1]],
      );
      assert.equal((await fetch(`http://127.0.0.1:${port}/nope`)).status, 404);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe('status page', () => {
  it('serves the page, its script and /api/status from the metrics', async () => {
    const metrics = new Metrics();
    metrics.consumedMessages.labels('t', '0').inc(5);
    metrics.consumerLag.labels('t', '0').set(7);
    metrics.addWorkerCounters([
      { name: 'spans_decoded', labels: { encoding: 'json-v2' }, value: 11 },
      { name: 'decode_errors', labels: { encoding: 'thrift', reason: 'truncated' }, value: 2 },
      { name: 'spans_filtered', labels: { reason: 'service' }, value: 3 },
    ]);
    const server = await startAdminServer('127.0.0.1', 0, metrics, () => ({ status: 'UP', details: {} }));
    try {
      const { port } = server.address() as AddressInfo;
      const page = await fetch(`http://127.0.0.1:${port}/status`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<script type="module" src="status.js">/);
      const js = await fetch(`http://127.0.0.1:${port}/status.js`);
      assert.match(js.headers.get('content-type') ?? '', /javascript/);
      const s = (await (await fetch(`http://127.0.0.1:${port}/api/status`)).json()) as Record<string, unknown>;
      assert.equal(s.consumedMessages, 5);
      assert.equal(s.spansIn, 11);
      assert.deepEqual(s.lag, { 't/0': 7 });
      assert.deepEqual(s.quarantined, { truncated: 2 });
      assert.deepEqual(s.filtered, { service: 3 });
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe('admin server: a port already taken', () => {
  it('rejects with TF_LISTEN naming the endpoint, the address and the flags that move it', async () => {
    const first = await startAdminServer('127.0.0.1', 0, new Metrics(), () => ({ status: 'UP', details: {} }), {});
    try {
      const { port } = first.address() as AddressInfo;
      await assert.rejects(
        startAdminServer('127.0.0.1', port, new Metrics(), () => ({ status: 'UP', details: {} }), {}),
        (err: Error) => {
          assert.equal((err as Error & { code?: string }).code, 'TF_LISTEN');
          assert.match(
            err.message,
            new RegExp(`admin endpoint .*--admin-port.*: cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use`),
          );
          return true;
        },
      );
    } finally {
      await new Promise((r) => first.close(r));
    }
  });
});
