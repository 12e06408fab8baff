/**
 * Waiting documents kept off the JavaScript heap, one per row. A document that waits for its
 * trace's decision outlives a scavenge or two, so as a string it is copied and then promoted, and
 * the old generation's marking pays for it again: on the sampling workload (example config, one
 * worker) the worker promoted 151 MB against keep-all's 28 MB, and V8's helper threads spent about
 * 1 µs a span more. Here its bytes go into large `Buffer` chunks the collector neither scans nor
 * copies; the string is made again when the row is taken and dies young (promoted 29 MB, CPU per
 * span 9.1–9.4 µs against 10.1–10.3, keep-all 8.3–8.8: see the README).
 *
 * Only ASCII documents are held (nearly all: JSON escapes nothing above U+007F, yet names and tags
 * are mostly ASCII); their bytes read back as latin1 are the same string, exactly. Any other
 * document stays a string (the caller keeps it), so no document changes by a byte.
 *
 * A chunk is reused once its last document is taken; emptied chunks are kept as spares (at most
 * `spareChunks`; a chunk is allocated only when no spare is left, so chunks never outnumber the most
 * in use at once): dropping them to the collector made it run more often on the worker (external
 * memory counts towards its triggers), which cost more than the strings had. A document that waits
 * much longer than its neighbours (a long trace) pins its chunk: when the bytes held by such chunks
 * outgrow the live documents, the sparse chunks' documents are copied into the current one
 * (`compact`), so chunks in use never hold more than about twice the live bytes plus four chunks.
 */

import { grown } from './rows.js';

/** No document of this row is held here. */
const NONE = -1;

export class DocumentArena {
  private readonly chunks: (Buffer | undefined)[] = [];
  /** Bytes written into each chunk (its fill mark). */
  private readonly used: number[] = [];
  private readonly liveBytes: number[] = [];
  private readonly liveDocs: number[] = [];
  private readonly freeIds: number[] = [];
  private readonly spare: Buffer[] = [];
  private current = NONE;
  /** Bytes of closed chunks no document refers to any more: what pinning costs. */
  private waste = 0;
  private live = 0;
  private chunkOf: Int32Array;
  private startOf: Int32Array;
  private lengthOf: Int32Array;

  /**
   * `chunkBytes`: one chunk's size; a document longer than a quarter of it is not held (the caller
   * keeps it as a string), so a chunk's unusable tail stays small. `spareChunks`: emptied chunks
   * kept for reuse (32 MiB at the defaults).
   */
  constructor(
    capacity: number,
    private readonly chunkBytes = 1 << 20,
    private readonly spareChunks = 32,
  ) {
    this.chunkOf = new Int32Array(capacity).fill(NONE);
    this.startOf = new Int32Array(capacity);
    this.lengthOf = new Int32Array(capacity);
  }

  /** Bytes of documents held. */
  get liveBytesTotal(): number {
    return this.live;
  }

  /** Bytes of chunks allocated, spares included: what the arena costs outside the heap. */
  get chunkBytesTotal(): number {
    let n = this.spare.length;
    for (const c of this.chunks) if (c !== undefined) n++;
    return n * this.chunkBytes;
  }

  /** Holds `doc` for `row` and returns true, or returns false (not ASCII, or too long): the caller keeps it. */
  put(row: number, doc: string): boolean {
    const n = doc.length;
    if (n > this.chunkBytes >> 2) return false;
    // Four bytes of room beyond `n`: then `n` bytes written means the whole string was, and all ASCII
    // (a non-ASCII string takes more than `n` bytes, and one cut short stops within the last char's
    // four bytes of the room, past `n`).
    if (this.current === NONE || (this.used[this.current] as number) + n + 4 > this.chunkBytes) {
      this.open(true);
      // A compaction may have filled the chunk it copied into.
      if ((this.used[this.current] as number) + n + 4 > this.chunkBytes) this.open(false);
    }
    const c = this.current;
    const start = this.used[c] as number;
    const written = (this.chunks[c] as Buffer).write(doc, start, 'utf8');
    if (written !== n) return false;
    this.used[c] = start + n;
    this.liveBytes[c] = (this.liveBytes[c] as number) + n;
    this.liveDocs[c] = (this.liveDocs[c] as number) + 1;
    this.live += n;
    this.chunkOf[row] = c;
    this.startOf[row] = start;
    this.lengthOf[row] = n;
    return true;
  }

  /** Whether `row`'s document is held here. */
  has(row: number): boolean {
    return this.chunkOf[row] !== NONE;
  }

  /** `row`'s document, no longer held. Only for a row `has` is true of. */
  take(row: number): string {
    const c = this.chunkOf[row] as number;
    const start = this.startOf[row] as number;
    const n = this.lengthOf[row] as number;
    const doc = (this.chunks[c] as Buffer).toString('latin1', start, start + n);
    this.chunkOf[row] = NONE;
    this.live -= n;
    this.liveBytes[c] = (this.liveBytes[c] as number) - n;
    const left = (this.liveDocs[c] as number) - 1;
    this.liveDocs[c] = left;
    if (c !== this.current) {
      this.waste += n;
      if (left === 0) this.release(c);
    } else if (left === 0) {
      // The current chunk emptied: it fills again from its start.
      this.used[c] = 0;
    }
    return doc;
  }

  /** The row columns grow with the rows (`SpanRows.grow`). */
  grow(capacity: number): void {
    const chunkOf = grown(this.chunkOf, capacity);
    chunkOf.fill(NONE, this.chunkOf.length);
    this.chunkOf = chunkOf;
    this.startOf = grown(this.startOf, capacity);
    this.lengthOf = grown(this.lengthOf, capacity);
  }

  /** Closes the current chunk and starts another; with `mayCompact`, first moves pinned documents if they cost too much. */
  private open(mayCompact: boolean): void {
    const closing = this.current;
    if (closing !== NONE) {
      this.waste += (this.used[closing] as number) - (this.liveBytes[closing] as number);
      this.current = NONE;
      if (this.liveDocs[closing] === 0) this.release(closing);
    }
    this.start();
    if (mayCompact && this.waste > this.live + 4 * this.chunkBytes) this.compact();
  }

  private start(): void {
    const id = this.freeIds.pop() ?? this.chunks.length;
    this.chunks[id] = this.spare.pop() ?? Buffer.allocUnsafeSlow(this.chunkBytes);
    this.used[id] = 0;
    this.liveBytes[id] = 0;
    this.liveDocs[id] = 0;
    this.current = id;
  }

  /**
   * Copies the documents of every closed chunk that is less than half live into the current
   * chunk(s); those chunks are then empty and released. Afterwards each closed chunk wastes at most
   * what it holds live, so the next compaction waits for `4 * chunkBytes` more waste: the row scan
   * is paid for by at least that many bytes taken.
   */
  private compact(): void {
    const sparse = new Uint8Array(this.chunks.length);
    let any = false;
    for (let c = 0; c < this.chunks.length; c++) {
      if (c === this.current || this.chunks[c] === undefined) continue;
      if ((this.liveBytes[c] as number) * 2 < (this.used[c] as number)) {
        sparse[c] = 1;
        any = true;
      }
    }
    if (!any) return;
    for (let row = 0; row < this.chunkOf.length; row++) {
      const c = this.chunkOf[row] as number;
      if (c === NONE || sparse[c] !== 1) continue;
      const start = this.startOf[row] as number;
      const n = this.lengthOf[row] as number;
      if ((this.used[this.current] as number) + n > this.chunkBytes) this.open(false);
      const to = this.current;
      const at = this.used[to] as number;
      (this.chunks[c] as Buffer).copy(this.chunks[to] as Buffer, at, start, start + n);
      this.used[to] = at + n;
      this.liveBytes[to] = (this.liveBytes[to] as number) + n;
      this.liveDocs[to] = (this.liveDocs[to] as number) + 1;
      this.chunkOf[row] = to;
      this.startOf[row] = at;
      this.liveBytes[c] = (this.liveBytes[c] as number) - n;
      this.waste += n;
      const left = (this.liveDocs[c] as number) - 1;
      this.liveDocs[c] = left;
      if (left === 0) {
        this.release(c);
        // Its number may be handed out again as the chunk copied into.
        sparse[c] = 0;
      }
    }
  }

  /** A closed chunk with no document left: kept as a spare, or left to the collector when there are enough. */
  private release(c: number): void {
    const chunk = this.chunks[c] as Buffer;
    this.waste -= this.used[c] as number;
    this.chunks[c] = undefined;
    this.freeIds.push(c);
    // Not capped by the chunks in use: flushes empty several at once, and a spare let go then
    // was allocated again a tick later (sampling CPU 9.4–12.2 µs a span against 9.3–9.6).
    if (this.spare.length < this.spareChunks) this.spare.push(chunk);
  }
}
