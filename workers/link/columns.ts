/**
 * One trace's spans as columns: the form the fast linker reads. IDs are 32-bit words (no ID string
 * is made, hashed or compared), kind and flags are bits, names are the interned strings the rows
 * hold. The dependency stage keeps one instance and refills it for every trace, from link rows
 * (rows.ts) or from the facts of whole-trace entries, so linking a trace allocates nothing per span.
 * Made from strings and objects per trace (hex IDs rebuilt, facts records, string-keyed maps), the
 * links were about a fifth of the worker's CPU (bench pipeline, 1 worker: 1.7–2.0 µs per span).
 */
import { kindAndFlags, ROW_BITS } from '../assemble/rows.js';
import { factsOfColumns, type LinkFacts } from './facts.js';
import { digit, hexId, readHexId } from './hex-id.js';

/** Bit above the kind and FACT_* flags: the span has a parent ID (its words 2 and 3). */
export const HAS_PARENT = 1 << ROW_BITS;

export class TraceColumns {
  /** Spans held. */
  n = 0;
  private capacity = 0;
  /** Four words per span: ID high, ID low, parent ID high, parent ID low (stale without HAS_PARENT). */
  ids = new Int32Array(0);
  /** `kindAndFlags` | HAS_PARENT. */
  bits = new Int32Array(0);
  /** Epoch µs, 0 when absent. */
  timestamps = new Float64Array(0);
  services: string[] = [];
  remoteServices: string[] = [];
  /** `localEndpointKey`s. */
  endpoints: string[] = [];

  /** Makes room for `n` spans and holds `n`; the caller fills every row. */
  resize(n: number): void {
    if (n > this.capacity) {
      let capacity = Math.max(64, this.capacity);
      while (capacity < n) capacity *= 2;
      this.capacity = capacity;
      this.ids = new Int32Array(capacity * 4);
      this.bits = new Int32Array(capacity);
      this.timestamps = new Float64Array(capacity);
    }
    this.n = n;
  }

  /** The trace from facts records; false when an ID is not 16 lower-case hex digits. */
  fill(facts: readonly LinkFacts[]): boolean {
    this.resize(facts.length);
    for (let i = 0; i < facts.length; i++) if (!this.set(i, facts[i] as LinkFacts)) return false;
    return true;
  }

  /** Row `i` from a facts record; false when an ID is not 16 lower-case hex digits. */
  set(i: number, f: LinkFacts): boolean {
    const ids = this.ids;
    if (!readHexId(f.id, ids, i * 4)) return false;
    let parent = 0;
    if (f.parentId !== '') {
      if (!readHexId(f.parentId, ids, i * 4 + 2)) return false;
      parent = HAS_PARENT;
    }
    this.bits[i] = kindAndFlags(f.kind, f.flags) | parent;
    this.timestamps[i] = f.timestamp;
    this.services[i] = f.service;
    this.remoteServices[i] = f.remoteService;
    this.endpoints[i] = f.endpoint;
    return true;
  }

  /** Row `i` from row `j` of `from`. */
  copy(i: number, from: TraceColumns, j: number): void {
    for (let w = 0; w < 4; w++) this.ids[i * 4 + w] = from.ids[j * 4 + w] as number;
    this.bits[i] = from.bits[j] as number;
    this.timestamps[i] = from.timestamps[j] as number;
    this.services[i] = from.services[j] as string;
    this.remoteServices[i] = from.remoteServices[j] as string;
    this.endpoints[i] = from.endpoints[j] as string;
  }

  /** Row `i` as a facts record (for Zipkin's merge of repeated IDs, done on records). */
  factsAt(i: number): LinkFacts {
    const ids = this.ids;
    const b = this.bits[i] as number;
    return factsOfColumns(
      hexId(ids[i * 4] as number, ids[i * 4 + 1] as number),
      (b & HAS_PARENT) !== 0 ? hexId(ids[i * 4 + 2] as number, ids[i * 4 + 3] as number) : '',
      b,
      this.services[i] as string,
      this.remoteServices[i] as string,
      this.timestamps[i] as number,
      this.endpoints[i] as string,
    );
  }

  /** The earliest timestamp (epoch µs), or 0 when no span has one. */
  start(): number {
    let start = Number.POSITIVE_INFINITY;
    const ts = this.timestamps;
    for (let i = 0; i < this.n; i++) {
      const t = ts[i] as number;
      if (t > 0 && t < start) start = t;
    }
    return Number.isFinite(start) ? start : 0;
  }

  /**
   * Sums over the spans of both FNV-1a hashes of each ID's 16 hex digits (seeds 0x811c9dc5 and
   * 0x9747b28c): equal to `idHashSums` over the ID strings, which the link windows' digests are made of.
   */
  idHashSums(into: Uint32Array): void {
    let sa = 0;
    let sb = 0;
    const ids = this.ids;
    for (let i = 0; i < this.n; i++) {
      let ha = 0x811c9dc5;
      let hb = 0x9747b28c;
      for (let w = i * 4; w < i * 4 + 2; w++) {
        const word = ids[w] as number;
        for (let shift = 28; shift >= 0; shift -= 4) {
          const c = digit(word, shift);
          ha = Math.imul(ha ^ c, 0x01000193) >>> 0;
          hb = Math.imul(hb ^ c, 0x01000193) >>> 0;
        }
      }
      sa = (sa + ha) >>> 0;
      sb = (sb + hb) >>> 0;
    }
    into[0] = sa;
    into[1] = sb;
  }
}
