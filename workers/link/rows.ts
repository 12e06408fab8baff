/**
 * The link facts of written-through spans (keep-all with dependency links), kept in columns until
 * their trace is linked. A span written at once leaves behind only what the linker reads; as one
 * object per span, that was an entry, a boxed timestamp and two ID strings living for the quiet
 * window, and the young-generation copies and old-generation marking of them were most of what the
 * links cost (bench pipeline, helper threads' CPU). Here a span is a row of numbers and interned
 * names: its two IDs as four 32-bit words (normalised IDs are 16 hex digits), made strings again
 * only in the short-lived records (`facts`) the linker gets when the trace is flushed. Held as
 * strings, the IDs were half of a row's heap and doubled the worker's GC pauses (bench pipeline,
 * 1 worker: 0.7–0.8 against 0.4 µs per span).
 */
import type { Kind } from '../../core/model/span.js';
import { grown, kindAndFlags, ROW_BITS, SpanRows } from '../assemble/rows.js';
import { HAS_PARENT, type TraceColumns } from './columns.js';
import { factsOfColumns, type LinkFacts } from './facts.js';
import { hexId, readHexId } from './hex-id.js';

/** Bit above the kind, FACT_* flags and HAS_PARENT (as columns.ts has them): the IDs are strings kept apart. */
const ID_STRINGS = 1 << (ROW_BITS + 1);

/**
 * What a buffered row costs, the window's slot included (the window's byte accounting): 43–49 B of
 * heap per span measured in keep-all mode (bench memory, probe), against 103 B with the IDs as
 * strings and 231 B as an entry object.
 */
export const LINK_ROW_BYTES = 56;

export class LinkRows extends SpanRows {
  /** IDs that are not 16 hex digits (none after normalisation; kept exact all the same). */
  private readonly idStrings = new Map<number, [string, string]>();
  private ids = new Int32Array(this.capacity * 4);
  private services: string[] = [];
  private remoteServices: string[] = [];
  private endpoints: string[] = [];
  private timestamps = new Float64Array(this.capacity);
  /** Kind and flags (`kindAndFlags`) | HAS_PARENT | ID_STRINGS. */
  private bits = new Int32Array(this.capacity);

  /** A row for one span; `release` it once its trace is linked. */
  add(
    id: string,
    parentId: string,
    kind: Kind | '',
    service: string,
    remoteService: string,
    timestamp: number,
    flags: number,
    endpoint: string,
  ): number {
    const row = this.take();
    let more = parentId === '' ? 0 : HAS_PARENT;
    if (!(readHexId(id, this.ids, row * 4) && (parentId === '' || readHexId(parentId, this.ids, row * 4 + 2)))) {
      this.idStrings.set(row, [id, parentId]);
      more = ID_STRINGS;
    }
    this.services[row] = service;
    this.remoteServices[row] = remoteService;
    this.endpoints[row] = endpoint;
    this.timestamps[row] = timestamp;
    this.bits[row] = kindAndFlags(kind, flags) | more;
    return row;
  }

  /** The linker's record of a row: a fresh object, meant to die young. */
  facts(row: number): LinkFacts {
    const bits = this.bits[row] as number;
    let id: string;
    let parentId = '';
    if ((bits & ID_STRINGS) !== 0) {
      [id, parentId] = this.idStrings.get(row) as [string, string];
    } else {
      const ids = this.ids;
      const at = row * 4;
      id = hexId(ids[at] as number, ids[at + 1] as number);
      if ((bits & HAS_PARENT) !== 0) parentId = hexId(ids[at + 2] as number, ids[at + 3] as number);
    }
    return factsOfColumns(
      id,
      parentId,
      bits,
      this.services[row] as string,
      this.remoteServices[row] as string,
      this.timestamps[row] as number,
      this.endpoints[row] as string,
    );
  }

  /**
   * The rows of one trace into `into`, for the linker; false when a row's IDs are not hex words
   * (then the caller takes the facts records).
   */
  copyTo(rows: readonly number[], into: TraceColumns): boolean {
    into.resize(rows.length);
    const from = this.ids;
    const to = into.ids;
    for (let k = 0; k < rows.length; k++) {
      const row = rows[k] as number;
      const bits = this.bits[row] as number;
      if ((bits & ID_STRINGS) !== 0) return false;
      to[k * 4] = from[row * 4] as number;
      to[k * 4 + 1] = from[row * 4 + 1] as number;
      to[k * 4 + 2] = from[row * 4 + 2] as number;
      to[k * 4 + 3] = from[row * 4 + 3] as number;
      into.bits[k] = bits;
      into.timestamps[k] = this.timestamps[row] as number;
      into.services[k] = this.services[row] as string;
      into.remoteServices[k] = this.remoteServices[row] as string;
      into.endpoints[k] = this.endpoints[row] as string;
    }
    return true;
  }

  /** Frees a row. */
  release(row: number): void {
    if ((this.bits[row] as number) & ID_STRINGS) this.idStrings.delete(row);
    this.give(row);
  }

  protected grow(capacity: number): void {
    this.ids = grown(this.ids, capacity * 4);
    this.timestamps = grown(this.timestamps, capacity);
    this.bits = grown(this.bits, capacity);
  }
}
