/**
 * Durable read positions, one per file identity, so a restart resumes where the shipper stopped:
 * at-least-once, never a gap. The identity is the file's content fingerprint (fingerprint.ts), not
 * its inode: a copy-truncate rotation makes a *new* inode holding the *old* content, and only the
 * fingerprint tells the shipper the copy is the file it was reading (resume at its offset instead of
 * shipping it all again); it also makes inode reuse after a delete harmless. Device and inode are kept
 * for the operator reading the table. Rules:
 * - a position is advanced only by `acknowledge`, which the shipper calls after Kafka acknowledged
 *   every message built from the bytes before that offset; positions never move backwards;
 * - `flush` writes the whole table to a temp file, fsyncs it and renames it over the old one, so a
 *   crash leaves either the old or the new table, never a torn one.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { TracefoldError } from '../../core/errors.js';

export interface FilePosition {
  id: string;
  path: string;
  dev: number;
  ino: number;
  offset: number;
  /** When the entry last moved (ms since epoch): the oldest go first when the table is pruned. */
  updated: number;
}

export class PositionStore {
  readonly #file: string;
  readonly #positions = new Map<string, FilePosition>();
  #dirty = false;

  constructor(file: string) {
    this.#file = file;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new TracefoldError('TF_CONFIG', `cannot read ship position file ${file}`, { file }, { cause: err });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new TracefoldError('TF_CONFIG', `ship position file ${file} is not valid JSON`, { file }, { cause: err });
    }
    if (!Array.isArray(parsed)) throw new TracefoldError('TF_CONFIG', `ship position file ${file} is not a JSON array`, { file });
    for (const p of parsed as Partial<FilePosition>[]) {
      if (typeof p?.id !== 'string' || typeof p.offset !== 'number' || !(p.offset >= 0)) {
        throw new TracefoldError('TF_CONFIG', `ship position file ${file} holds an invalid entry`, { file });
      }
      this.#positions.set(p.id, {
        id: p.id,
        path: String(p.path),
        dev: Number(p.dev ?? 0),
        ino: Number(p.ino ?? 0),
        offset: p.offset,
        updated: Number(p.updated ?? 0),
      });
    }
  }

  get size(): number {
    return this.#positions.size;
  }

  /** Offset to resume the file at (0 for a file never seen). */
  get(id: string): number {
    return this.#positions.get(id)?.offset ?? 0;
  }

  has(id: string): boolean {
    return this.#positions.has(id);
  }

  /** Kafka acknowledged everything before `offset`: advance (never backwards). */
  acknowledge(id: string, path: string, dev: number, ino: number, offset: number, now = Date.now()): void {
    const cur = this.#positions.get(id);
    if (cur && cur.offset >= offset) return;
    this.#positions.set(id, { id, path, dev, ino, offset, updated: now });
    this.#dirty = true;
  }

  forget(id: string): void {
    if (this.#positions.delete(id)) this.#dirty = true;
  }

  /**
   * Keeps the table bounded: beyond `maxEntries`, the least recently moved entries not in `keep`
   * (files still followed) are dropped. A dropped file that reappears is shipped from its start again
   * (duplicates, never a gap), so the bound is generous.
   */
  prune(keep: ReadonlySet<string>, maxEntries: number): void {
    if (this.#positions.size <= maxEntries) return;
    const old = [...this.#positions.values()].filter((p) => !keep.has(p.id)).sort((a, b) => a.updated - b.updated);
    for (const p of old.slice(0, this.#positions.size - maxEntries)) this.#positions.delete(p.id);
    this.#dirty = true;
  }

  flush(): void {
    if (!this.#dirty) return;
    const tmp = `${this.#file}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, JSON.stringify([...this.#positions.values()]));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.#file);
    this.#dirty = false;
  }
}
