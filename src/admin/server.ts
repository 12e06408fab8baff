/**
 * Admin HTTP endpoint (127.0.0.1 by default): Prometheus `/metrics`, `/health` as JSON, and the
 * configuration in force (`/config`, secrets redacted by the caller's provider), the live service
 * graph as JSON at `/api/graph` (see graph.ts), and the status page at `/status` (static files in
 * ./status/, polling `/api/status` and `/api/graph`).
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { Metrics } from '../telemetry/metrics.js';
import type { GraphSnapshot } from './graph.js';
import { listen, serveMetrics } from './http.js';
import { statusSnapshot } from './status.js';

/** The status page: static files, no framework. */
const STATUS_FILES: Record<string, { file: string; type: string }> = {
  '/status': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/status/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/status.js': { file: 'status.js', type: 'text/javascript; charset=utf-8' },
  '/status/status.js': { file: 'status.js', type: 'text/javascript; charset=utf-8' },
};
// Next to this module: the build must copy src/admin/status/ beside the compiled server.
const STATUS_DIR = new URL('./status/', import.meta.url);

export interface HealthReport {
  status: 'UP' | 'DEGRADED' | 'DOWN';
  details: Record<string, unknown>;
}

export async function startAdminServer(
  host: string,
  port: number,
  metrics: Metrics,
  health: () => HealthReport,
  extra: { config?: () => unknown; graph?: (now: number) => GraphSnapshot } = {},
): Promise<Server> {
  const server = createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0] as string;
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    if (url === '/metrics') {
      serveMetrics(res, metrics.registry);
      return;
    }
    if (url === '/health' || url === '/ready') {
      const h = health();
      res.writeHead(h.status === 'DOWN' ? 503 : 200, { 'content-type': 'application/json' }).end(JSON.stringify(h));
      return;
    }
    if (url === '/config' && extra.config !== undefined) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(`${JSON.stringify(extra.config(), null, 2)}\n`);
      return;
    }
    const page = STATUS_FILES[url];
    if (page) {
      readFile(new URL(page.file, STATUS_DIR))
        .then((body) => res.writeHead(200, { 'content-type': page.type, 'cache-control': 'no-store' }).end(body))
        .catch((err: Error) => res.writeHead(500).end(err.message));
      return;
    }
    if (url === '/api/status') {
      statusSnapshot(metrics, Date.now())
        .then((s) => res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(s)))
        .catch((err: Error) => res.writeHead(500).end(err.message));
      return;
    }
    if (url === '/api/graph' && extra.graph) {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(extra.graph(Date.now())));
      return;
    }
    res
      .writeHead(404, { 'content-type': 'text/plain' })
      .end('not found: try /status, /metrics, /health, /config, /api/status or /api/graph\n');
  });
  return listen(server, host, port, 'admin endpoint (--admin-port, --admin-host, or --no-admin-enabled)');
}
