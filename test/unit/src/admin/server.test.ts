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
    const server = await startAdminServer(
      '127.0.0.1',
      0,
      new Metrics(),
      () => ({ status: 'UP', details: {} }),
      (now) => graph.snapshot(now),
    );
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
