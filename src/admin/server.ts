/**
 * Admin HTTP endpoint (127.0.0.1 by default): Prometheus `/metrics`, `/health` as JSON, and the
 * live service graph as JSON at `/api/graph` (see graph.ts).
 */
import { createServer, type Server } from 'node:http';
import type { Metrics } from '../telemetry/metrics.js';
import type { GraphSnapshot } from './graph.js';

export interface HealthReport {
  status: 'UP' | 'DEGRADED' | 'DOWN';
  details: Record<string, unknown>;
}

export async function startAdminServer(
  host: string,
  port: number,
  metrics: Metrics,
  health: () => HealthReport,
  graph?: (now: number) => GraphSnapshot,
): Promise<Server> {
  const server = createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0] as string;
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    if (url === '/metrics') {
      metrics.registry
        .metrics()
        .then((text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text))
        .catch((err: Error) => res.writeHead(500).end(err.message));
      return;
    }
    if (url === '/health' || url === '/ready') {
      const h = health();
      res.writeHead(h.status === 'DOWN' ? 503 : 200, { 'content-type': 'application/json' }).end(JSON.stringify(h));
      return;
    }
    if (url === '/api/graph' && graph) {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(graph(Date.now())));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics, /health or /api/graph\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
