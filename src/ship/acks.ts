/**
 * Which file positions Kafka has acknowledged. The shipper reads a file in chunks and ships each
 * chunk as several messages (one per trace key, plus dead letters) that Kafka acknowledges in any
 * order across partitions; a file's position may only advance past a chunk once it and every chunk
 * before it is fully acknowledged, or a crash could skip an unacknowledged one (a gap).
 * Chunks are queued per file identity, so a copy-truncate copy that takes over a file's identity
 * continues its queue in order.
 */
export interface Chunk {
  readonly id: string;
  readonly path: string;
  readonly dev: number;
  readonly ino: number;
  /** File offset just past the chunk's last line. */
  readonly end: number;
  readonly bytes: number;
  /** Messages sent and not yet acknowledged. */
  pending: number;
  spans: number;
}

export class AckTracker {
  readonly #queues = new Map<string, Chunk[]>();
  #bytes = 0;
  #chunks = 0;

  /** Bytes read but not yet acknowledged (what backpressure bounds). */
  get inFlightBytes(): number {
    return this.#bytes;
  }

  get inFlightChunks(): number {
    return this.#chunks;
  }

  /** Whether the identity has chunks in flight (a follower must not be closed before they settle). */
  busy(id: string): boolean {
    return (this.#queues.get(id)?.length ?? 0) > 0;
  }

  open(chunk: Omit<Chunk, 'pending' | 'spans'>): Chunk {
    const c: Chunk = { ...chunk, pending: 0, spans: 0 };
    const q = this.#queues.get(c.id);
    if (q) q.push(c);
    else this.#queues.set(c.id, [c]);
    this.#bytes += c.bytes;
    this.#chunks++;
    return c;
  }

  /**
   * One message of the chunk acknowledged (or, with `pending` already 0, the chunk closed with
   * nothing to send); returns the chunks now settled in file order, whose `end` may be persisted.
   */
  settle(chunk: Chunk): Chunk[] {
    const q = this.#queues.get(chunk.id);
    if (!q) return [];
    const done: Chunk[] = [];
    while (q.length > 0 && (q[0] as Chunk).pending === 0) {
      const c = q.shift() as Chunk;
      this.#bytes -= c.bytes;
      this.#chunks--;
      done.push(c);
    }
    if (q.length === 0) this.#queues.delete(chunk.id);
    return done;
  }
}
