/**
 * What every HTTP server of the coordinator shares (the admin endpoint, the shipper's admin
 * endpoint, the span intake): listening, with a bind failure as a rejected promise rather than an
 * 'error' event nobody hears, and Prometheus' `/metrics`.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { TracefoldError } from '../../core/errors.js';

/**
 * Resolves once `server` listens on host:port; rejects with the bind error (port in use, no such
 * address) as TF_LISTEN naming `what` listens there and the setting that moves it.
 */
export async function listen(server: Server, host: string, port: number, what: string): Promise<Server> {
  await new Promise<void>((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException): void => {
      const why = err.code === 'EADDRINUSE' ? 'the port is in use (another tracefold, or another program)' : err.message;
      reject(new TracefoldError('TF_LISTEN', `${what}: cannot listen on ${host}:${port}: ${why}`, {}, { cause: err }));
    };
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
  return server;
}

/** Answers with the registry's metrics in Prometheus' text format. */
export function serveMetrics(res: ServerResponse<IncomingMessage>, registry: Registry): void {
  registry
    .metrics()
    .then((text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text))
    .catch((err: Error) => res.writeHead(500).end(err.message));
}
