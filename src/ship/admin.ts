/**
 * The shipper's admin endpoint: `/metrics` and `/health`. Not src/admin/server.ts, whose status
 * page and health are built from the ingest node's metrics catalogue.
 */
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export async function startShipAdmin(host: string, port: number, registry: Registry, health: () => object): Promise<Server> {
  const server = createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end();
    } else if (url === '/metrics') {
      registry
        .metrics()
        .then((text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text))
        .catch((err: Error) => res.writeHead(500).end(err.message));
    } else if (url === '/health' || url === '/ready') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(health()));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics or /health\n');
    }
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
