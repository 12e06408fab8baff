import { Socket } from 'node:net';

/**
 * Minimal Kafka wire-protocol client, enough to tell a live broker from a merely open port
 * without a Kafka library: ApiVersions v0, then Metadata (v4..v8, the non-flexible versions
 * Kafka 4.x still serves) with an empty topic list.
 */

const API_METADATA = 3;
const API_VERSIONS = 18;

export interface KafkaClusterInfo {
  clusterId: string | null;
  controllerId: number;
  brokers: { nodeId: number; host: string; port: number }[];
}

class Reader {
  private off = 0;
  constructor(private readonly buf: Buffer) {}
  int16(): number {
    const v = this.buf.readInt16BE(this.off);
    this.off += 2;
    return v;
  }
  int32(): number {
    const v = this.buf.readInt32BE(this.off);
    this.off += 4;
    return v;
  }
  nullableString(): string | null {
    const len = this.int16();
    if (len < 0) return null;
    const s = this.buf.toString('utf8', this.off, this.off + len);
    this.off += len;
    return s;
  }
  string(): string {
    return this.nullableString() ?? '';
  }
}

function request(apiKey: number, apiVersion: number, correlationId: number, body: Buffer): Buffer {
  const clientId = Buffer.from('tracefold-infra');
  const header = Buffer.alloc(10);
  header.writeInt16BE(apiKey, 0);
  header.writeInt16BE(apiVersion, 2);
  header.writeInt32BE(correlationId, 4);
  header.writeInt16BE(clientId.length, 8);
  const size = Buffer.alloc(4);
  size.writeInt32BE(header.length + clientId.length + body.length);
  return Buffer.concat([size, header, clientId, body]);
}

/** One connection, sequential request/response exchanges. */
class Conn {
  private pending = Buffer.alloc(0);
  private waiter: ((frame: Buffer) => void) | undefined;
  private failure: Error | undefined;
  private failWaiter: ((err: Error) => void) | undefined;

  constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.pending = Buffer.concat([this.pending, chunk]);
      this.drain();
    });
    const fail = (err: Error): void => {
      this.failure = err;
      this.failWaiter?.(err);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
  }

  private drain(): void {
    if (!this.waiter || this.pending.length < 4) return;
    const size = this.pending.readInt32BE(0);
    if (this.pending.length < 4 + size) return;
    const frame = this.pending.subarray(4, 4 + size);
    this.pending = this.pending.subarray(4 + size);
    const w = this.waiter;
    this.waiter = undefined;
    w(frame);
  }

  exchange(req: Buffer): Promise<Reader> {
    return new Promise((resolve, reject) => {
      if (this.failure) {
        reject(this.failure);
        return;
      }
      this.failWaiter = reject;
      this.waiter = (frame) => {
        const r = new Reader(frame);
        r.int32(); // correlation id: requests are strictly sequential
        resolve(r);
      };
      this.socket.write(req);
      this.drain();
    });
  }
}

function connect(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer from ${host}:${port} within ${timeoutMs}ms`)));
    socket.once('error', reject);
    socket.connect(port, host, () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

export async function describeKafka(host: string, port: number, timeoutMs = 3000): Promise<KafkaClusterInfo> {
  const socket = await connect(host, port, timeoutMs);
  try {
    const conn = new Conn(socket);
    const versions = await conn.exchange(request(API_VERSIONS, 0, 1, Buffer.alloc(0)));
    const error = versions.int16();
    if (error !== 0) throw new Error(`ApiVersions error code ${error}`);
    let metadataRange: [number, number] | undefined;
    const count = versions.int32();
    for (let i = 0; i < count; i++) {
      const key = versions.int16();
      const min = versions.int16();
      const max = versions.int16();
      if (key === API_METADATA) metadataRange = [min, max];
    }
    if (!metadataRange) throw new Error('broker does not offer Metadata');
    const version = Math.max(metadataRange[0], 4);
    if (version > 8 || version > metadataRange[1]) throw new Error(`no non-flexible Metadata version in ${metadataRange.join('..')}`);
    // topics: empty array; allow_auto_topic_creation=false; v8 adds two authorized-operations flags
    const body = version === 8 ? Buffer.from([0, 0, 0, 0, 0, 0, 0]) : Buffer.from([0, 0, 0, 0, 0]);
    const md = await conn.exchange(request(API_METADATA, version, 2, body));
    md.int32(); // throttle_time_ms
    const brokers: KafkaClusterInfo['brokers'] = [];
    const brokerCount = md.int32();
    for (let i = 0; i < brokerCount; i++) {
      const nodeId = md.int32();
      const host = md.string();
      const bport = md.int32();
      md.nullableString(); // rack
      brokers.push({ nodeId, host, port: bport });
    }
    const clusterId = md.nullableString();
    const controllerId = md.int32();
    return { clusterId, controllerId, brokers };
  } finally {
    socket.destroy();
  }
}

/** Healthy = answers Metadata with at least one broker and a known controller. */
export async function kafkaHealthy(host: string, port: number): Promise<boolean> {
  try {
    const info = await describeKafka(host, port);
    return info.brokers.length > 0 && info.controllerId >= 0;
  } catch {
    return false;
  }
}
