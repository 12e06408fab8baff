/** A TCP proxy in front of a server that a test can take down: new connections are cut, live ones destroyed. */
import { connect, createServer, type Server, type Socket } from 'node:net';

export class FlakyProxy {
  down = false;
  private readonly sockets = new Set<Socket>();
  readonly server: Server;

  constructor(target: URL) {
    this.server = createServer((client) => {
      if (this.down) {
        client.destroy();
        return;
      }
      const upstream = connect(Number(target.port), target.hostname);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return (this.server.address() as { port: number }).port;
  }

  setDown(down: boolean): void {
    this.down = down;
    if (down) for (const s of this.sockets) s.destroy();
  }

  close(): void {
    this.setDown(true);
    this.server.close();
  }
}
