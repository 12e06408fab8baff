/**
 * An HTTP proxy in front of the search engine that injects the faults a real cluster shows under
 * stress: a 429 storm (whole bulk requests refused, and items of the forwarded ones answered 429
 * although the engine stored them, so a retry rewrites a document that exists) and a freeze
 * (requests are held unanswered until it ends, then forwarded late). Counts what it did.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Prng } from './prng.js';

export class FaultProxy {
  private readonly server: Server;
  private readonly upstream: URL;
  /** Fraction of _bulk requests refused whole, and of the items of the others answered 429, while storming. */
  storm = 0;
  private frozen: Array<() => void> | undefined;
  readonly counts = { requests: 0, rejectedRequests: 0, rejectedItems: 0, held: 0 };

  constructor(
    upstream: string,
    private readonly prng: Prng,
  ) {
    this.upstream = new URL(upstream);
    this.server = createServer((req, res) => {
      this.counts.requests++;
      if (this.frozen) {
        this.counts.held++;
        this.frozen.push(() => this.handle(req, res));
      } else {
        this.handle(req, res);
      }
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const isBulk = (req.url ?? '').includes('_bulk');
    if (isBulk && this.storm > 0 && this.prng.chance(this.storm)) {
      this.counts.rejectedRequests++;
      req.resume();
      res.writeHead(429, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { type: 'es_rejected_execution_exception', reason: 'injected: queue full' }, status: 429 }));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const up = httpRequest(
        {
          hostname: this.upstream.hostname,
          port: this.upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: this.upstream.host },
        },
        (upRes) => {
          const body: Buffer[] = [];
          upRes.on('data', (c: Buffer) => body.push(c));
          upRes.on('end', () => {
            let out: Buffer = Buffer.concat(body);
            if (isBulk && this.storm > 0 && upRes.statusCode === 200) out = this.rejectItems(out);
            const headers = { ...upRes.headers, 'content-length': String(out.length) };
            delete headers['transfer-encoding'];
            if (!res.destroyed) {
              res.writeHead(upRes.statusCode ?? 502, headers);
              res.end(out);
            }
          });
        },
      );
      up.on('error', (err) => {
        if (!res.headersSent) res.writeHead(502);
        res.end(err.message);
      });
      up.end(Buffer.concat(chunks));
    });
  }

  /** Answers 429 for some items the engine did store: the retry must overwrite, never duplicate. */
  private rejectItems(body: Buffer): Buffer {
    const parsed = JSON.parse(body.toString('utf8')) as {
      errors?: boolean;
      items?: Array<Record<string, { status: number; error?: unknown }>>;
    };
    for (const item of parsed.items ?? []) {
      const op = Object.values(item)[0];
      if (op && op.status < 300 && this.prng.chance(this.storm)) {
        op.status = 429;
        op.error = { type: 'es_rejected_execution_exception', reason: 'injected: item rejected' };
        parsed.errors = true;
        this.counts.rejectedItems++;
      }
    }
    return Buffer.from(JSON.stringify(parsed));
  }

  freeze(): void {
    this.frozen ??= [];
  }

  thaw(): void {
    const held = this.frozen ?? [];
    this.frozen = undefined;
    for (const go of held) go();
  }

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.thaw();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
