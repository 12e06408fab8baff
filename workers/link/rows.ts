/**
 * The link facts of written-through spans (keep-all with dependency links), kept in columns until
 * their trace is linked. A span written at once leaves behind only what the linker reads; as one
 * object per span, that was an entry, a boxed timestamp and two ID strings living for the quiet
 * window, and the young-generation copies and old-generation marking of them were most of what the
 * links cost (bench pipeline, helper threads' CPU). Here a span is a row: its IDs stay strings (in
 * two arrays), everything else is numbers or interned names. The linker gets short-lived records
 * (`facts`) when the trace is flushed.
 */
import { KIND_BY_NUMBER, type Kind, kindNumber } from '../../core/model/span.js';
import { grown, SpanRows } from '../assemble/rows.js';
import type { LinkFacts } from './facts.js';

/**
 * What a buffered row costs, its two ID strings and the window's slot included (the window's byte
 * accounting): 103–141 B of heap per span measured in keep-all mode (bench memory, probe), against 231–237 B
 * as an entry object.
 */
export const LINK_ROW_BYTES = 140;

export class LinkRows extends SpanRows {
  private ids: string[] = [];
  private parentIds: string[] = [];
  private services: string[] = [];
  private remoteServices: string[] = [];
  private endpoints: string[] = [];
  private timestamps = new Float64Array(this.capacity);
  /** kind code | FACT_* flags << 3. */
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
    this.ids[row] = id;
    this.parentIds[row] = parentId;
    this.services[row] = service;
    this.remoteServices[row] = remoteService;
    this.endpoints[row] = endpoint;
    this.timestamps[row] = timestamp;
    this.bits[row] = kindNumber(kind) | (flags << 3);
    return row;
  }

  /** The linker's record of a row: a fresh object, meant to die young. */
  facts(row: number): LinkFacts {
    const bits = this.bits[row] as number;
    return {
      id: this.ids[row] as string,
      parentId: this.parentIds[row] as string,
      kind: KIND_BY_NUMBER[bits & 7] ?? '',
      service: this.services[row] as string,
      remoteService: this.remoteServices[row] as string,
      name: '',
      timestamp: this.timestamps[row] as number,
      duration: 0,
      flags: bits >> 3,
      endpoint: this.endpoints[row] as string,
    };
  }

  /** Frees a row; its ID strings are no longer held. */
  release(row: number): void {
    this.ids[row] = '';
    this.parentIds[row] = '';
    this.give(row);
  }

  protected grow(capacity: number): void {
    this.timestamps = grown(this.timestamps, capacity);
    this.bits = grown(this.bits, capacity);
  }
}
