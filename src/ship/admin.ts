/**
 * The shipper's admin endpoint: `/metrics` and `/health`. Not src/admin/server.ts, whose status
 * page and health are built from the ingest node's metrics catalogue.
 */
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { listen, serveMetrics } from '../admin/http.js';

export async function startShipAdmin(host: string, port: number, registry: Registry, health: () => object): Promise<Server> {
  const server = createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end();
    } else if (url === '/metrics') {
      serveMetrics(res, registry);
    } else if (url === '/health' || url === '/ready') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(health()));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics or /health\n');
    }
  });
  return listen(server, host, port, 'shipper admin endpoint (--admin-port, --admin-host, or --no-admin-enabled)');
}
