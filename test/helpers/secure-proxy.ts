/**
 * A search engine with TLS and authentication, for the secured-cluster tests: an HTTPS proxy in
 * front of the shared OpenSearch that demands basic auth or an API key (and, optionally, a client
 * certificate) before forwarding. The infra runners are the OSS builds of OpenSearch 2.19 and
 * Elasticsearch 7.10.2, which carry no security plugin, so authentication cannot be turned on in
 * the engine itself. Certificates are made with the openssl CLI in a temporary folder.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  dir: string;
  caFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  clientCertFile: string;
  clientKeyFile: string;
  /** A CA that signed nothing here: trusting it must fail verification. */
  otherCaFile: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(dir: string, name: string): void {
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.pem`,
  ]);
}

function makeSigned(dir: string, name: string, ca: string, ext: string): void {
  openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`]);
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.pem`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-days',
    '2',
    '-out',
    `${name}.pem`,
    '-extfile',
    `${name}.ext`,
  ]);
}

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'tracefold-pki-'));
  makeCa(dir, 'ca');
  makeCa(dir, 'other-ca');
  makeSigned(dir, 'server', 'ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  makeSigned(dir, 'client', 'ca', 'extendedKeyUsage=clientAuth\n');
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    serverCertFile: join(dir, 'server.pem'),
    serverKeyFile: join(dir, 'server.key'),
    clientCertFile: join(dir, 'client.pem'),
    clientKeyFile: join(dir, 'client.key'),
    otherCaFile: join(dir, 'other-ca.pem'),
  };
}

export interface SecureProxyOptions {
  upstream: string;
  pki: TestPki;
  username: string;
  password: string;
  /** The base64 `id:key` an API key is presented as. */
  apiKey: string;
  requireClientCert?: boolean;
}

export class SecureProxy {
  private readonly server: Server;
  /** Requests refused for want of valid credentials. */
  refused = 0;
  forwarded = 0;

  constructor(opts: SecureProxyOptions) {
    const upstream = new URL(opts.upstream);
    const basic = `Basic ${Buffer.from(`${opts.username}:${opts.password}`).toString('base64')}`;
    const apiKey = `ApiKey ${opts.apiKey}`;
    this.server = createServer(
      {
        key: readFileSync(opts.pki.serverKeyFile),
        cert: readFileSync(opts.pki.serverCertFile),
        ca: readFileSync(opts.pki.caFile),
        requestCert: opts.requireClientCert === true,
        rejectUnauthorized: opts.requireClientCert === true,
      },
      (req, res) => {
        const auth = req.headers.authorization;
        if (auth !== basic && auth !== apiKey) {
          this.refused++;
          req.resume();
          res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="security"' });
          res.end(
            JSON.stringify({ error: { type: 'security_exception', reason: 'missing or invalid authentication credentials' }, status: 401 }),
          );
          return;
        }
        this.forwarded++;
        const headers = { ...req.headers, host: upstream.host };
        delete headers.authorization;
        const up = httpRequest(
          { hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
          (upRes) => {
            res.writeHead(upRes.statusCode ?? 502, upRes.headers);
            upRes.pipe(res);
          },
        );
        up.on('error', (err) => {
          res.writeHead(502);
          res.end(err.message);
        });
        req.pipe(up);
      },
    );
  }

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

export function removePki(pki: TestPki): void {
  rmSync(pki.dir, { recursive: true, force: true });
}
