/**
 * The spans that wait in their trace's window in whole-trace mode (a sampling policy or trace rule
 * decides what is written), one row each. A waiting span is its Elasticsearch document (or, when a
 * trace rule may still rewrite it, the span itself) plus the facts its document does not hold in a
 * fixed place: the IDs, name, timestamp and duration are read back from the document at flush
 * (`readHead`) rather than held twice.
 *
 * As one object per span with every fact this cost 144 B of heap beyond the document, and the object
 * lived for the quiet window (bench memory: 821 B per buffered span against 717 B for the code before
 * the facts existed, which buffered the document alone). Rows cost their column slots: see
 * WAITING_ROW_BYTES.
 */
import type { Span } from '../../core/model/span.js';
import { DocumentArena } from './arena.js';
import type { SpanFacts } from './facts.js';
import { flagsOfBits, grown, kindAndFlags, kindOfBits, ROW_BITS, SpanRows } from './rows.js';

/** Where a span came from: shared by all spans of one Kafka record, for dead letters and the decision log. */
export interface Provenance {
  topic: string;
  partition: number;
  offset: number;
}

/** The provenance of a span that holds no unit (written through, or facts only): never read. */
export const NO_PROVENANCE: Provenance = { topic: '', partition: -1, offset: -1 };

/**
 * A span of a flushed (or late) trace, as the trace-level stages read it. `doc` is its document when
 * it waited for the trace's decision; `span` instead when a trace-level rule may still rewrite it;
 * neither when it was written through (then it holds no unit of its batch: the sink resolves that).
 * `id`, `parentId`, `name`, `timestamp` and `duration` are '' and 0 while a document holds them
 * (see `Pipeline.withHead`).
 */
export interface WaitingSpan extends SpanFacts {
  /** Interned local address and port (`endpointKey`), '' when none. */
  endpoint: string;
  doc: string | null;
  /** Where `doc` has its trace ID (`SpanDocument.head`), -1 when not known. */
  head: number;
  span: Span | null;
  index: string;
  batchId: number;
  prov: Provenance;
}

/**
 * What a row costs besides its document, the window's slot included (the windows' byte accounting):
 * eight 4-byte column slots and the window's two (bench memory, whole trace).
 */
export const WAITING_ROW_BYTES = 44;

/**
 * A row's facts that its document holds (`readHead` reads them back at flush), kept apart for
 * the rare row without one (a deferred encoding, facts forwarded after a reload).
 */
interface Undocumented {
  span: Span | null;
  id: string;
  parentId: string;
  name: string;
  timestamp: number;
  duration: number;
}

/** Index names are numbered (one per day and prefix): a row holds the number in its bits. */
const INDEX_NUMBERS = 1 << 23;

export class WaitingSpans extends SpanRows {
  private readonly arena = new DocumentArena(this.capacity);
  private readonly docs: (string | null)[] = [];
  private readonly provs: Provenance[] = [];
  private readonly services: string[] = [];
  private readonly remoteServices: string[] = [];
  private readonly endpoints: string[] = [];
  private readonly undocumented = new Map<number, Undocumented>();
  /** Rows whose index name came after INDEX_NUMBERS others (never, short of garbage timestamps). */
  private readonly unnumbered = new Map<number, string>();
  private readonly indexNames: string[] = [];
  private readonly indexNumbers = new Map<string, number>();
  private lastIndex = '';
  private lastNumber = 0;
  private batchIds = new Int32Array(this.capacity);
  private heads = new Int32Array(this.capacity);
  /** Kind and flags (`kindAndFlags`) | index number << ROW_BITS. */
  private bits = new Int32Array(this.capacity);

  /**
   * A row holding `s` (copied: the object itself is not kept). With a document, its IDs, name,
   * timestamp and duration are not kept: `remove` gives them as '' and 0 (see `readHead`).
   */
  add(s: WaitingSpan): number {
    return this.addFields(
      s.doc,
      s.head,
      s.span,
      s.index,
      s.batchId,
      s.prov,
      s.id,
      s.parentId,
      s.kind,
      s.service,
      s.remoteService,
      s.name,
      s.timestamp,
      s.duration,
      s.flags,
      s.endpoint,
    );
  }

  /** `add` from the fields themselves: the decoding worker's path, with no record made per span. */
  addFields(
    doc: string | null,
    head: number,
    span: Span | null,
    index: string,
    batchId: number,
    prov: Provenance,
    id: string,
    parentId: string,
    kind: WaitingSpan['kind'],
    service: string,
    remoteService: string,
    name: string,
    timestamp: number,
    duration: number,
    flags: number,
    endpoint: string,
  ): number {
    const row = this.take();
    this.docs[row] = doc !== null && this.arena.put(row, doc) ? null : doc;
    this.provs[row] = prov;
    this.services[row] = service;
    this.remoteServices[row] = remoteService;
    this.endpoints[row] = endpoint;
    this.batchIds[row] = batchId;
    this.heads[row] = head;
    this.bits[row] = kindAndFlags(kind, flags) | (this.indexNumber(row, index) << ROW_BITS);
    if (doc === null) this.undocumented.set(row, { span, id, parentId, name, timestamp, duration });
    return row;
  }

  /** The row as a fresh record, and the row freed: what it referenced is no longer held here. */
  remove(row: number): WaitingSpan {
    const bits = this.bits[row] as number;
    const apart = this.undocumented.get(row);
    const index = bits >>> ROW_BITS;
    const s: WaitingSpan = {
      doc: this.arena.has(row) ? this.arena.take(row) : (this.docs[row] as string | null),
      head: this.heads[row] as number,
      span: apart === undefined ? null : apart.span,
      index: index === INDEX_NUMBERS ? (this.unnumbered.get(row) as string) : (this.indexNames[index] as string),
      batchId: this.batchIds[row] as number,
      prov: this.provs[row] as Provenance,
      id: apart === undefined ? '' : apart.id,
      parentId: apart === undefined ? '' : apart.parentId,
      kind: kindOfBits(bits),
      service: this.services[row] as string,
      remoteService: this.remoteServices[row] as string,
      name: apart === undefined ? '' : apart.name,
      timestamp: apart === undefined ? 0 : apart.timestamp,
      duration: apart === undefined ? 0 : apart.duration,
      flags: flagsOfBits(bits),
      endpoint: this.endpoints[row] as string,
    };
    if (apart !== undefined) this.undocumented.delete(row);
    if (index === INDEX_NUMBERS) this.unnumbered.delete(row);
    this.docs[row] = null;
    this.provs[row] = NO_PROVENANCE;
    this.give(row);
    return s;
  }

  private indexNumber(row: number, index: string): number {
    if (index === this.lastIndex) return this.lastNumber;
    const known = this.indexNumbers.get(index);
    if (known !== undefined) {
      this.lastIndex = index;
      this.lastNumber = known;
      return known;
    }
    if (this.indexNames.length === INDEX_NUMBERS) {
      this.unnumbered.set(row, index);
      return INDEX_NUMBERS;
    }
    this.indexNumbers.set(index, this.indexNames.length);
    this.indexNames.push(index);
    return this.indexNames.length - 1;
  }

  protected grow(capacity: number): void {
    this.arena.grow(capacity);
    this.batchIds = grown(this.batchIds, capacity);
    this.heads = grown(this.heads, capacity);
    this.bits = grown(this.bits, capacity);
  }
}
