/**
 * Durable read positions, one per file identity (device + inode), so a restart resumes where the
 * shipper stopped: at-least-once, never a gap. Rules:
 * - a position is advanced only by `acknowledge`, which the shipper calls after Kafka acknowledged
 *   every message built from the bytes before that offset; positions never move backwards except by
 *   `reset` (truncation seen by the tailer);
 * - `flush` writes the whole table to a temp file, fsyncs it and renames it over the old one, so a
 *   crash leaves either the old or the new table, never a torn one.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { TracefoldError } from '../../core/errors.js';

export interface FilePosition {
  path: string;
  dev: number;
  ino: number;
  offset: number;
}

function idOf(dev: number, ino: number): string {
  return `${dev}:${ino}`;
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
    for (const p of parsed as FilePosition[]) {
      if (typeof p?.dev !== 'number' || typeof p.ino !== 'number' || typeof p.offset !== 'number' || p.offset < 0) {
        throw new TracefoldError('TF_CONFIG', `ship position file ${file} holds an invalid entry`, { file });
      }
      this.#positions.set(idOf(p.dev, p.ino), { path: String(p.path), dev: p.dev, ino: p.ino, offset: p.offset });
    }
  }

  /** Offset to resume the file at (0 for a file never seen). */
  get(dev: number, ino: number): number {
    return this.#positions.get(idOf(dev, ino))?.offset ?? 0;
  }

  /** Kafka acknowledged everything before `offset`: advance (never backwards). */
  acknowledge(path: string, dev: number, ino: number, offset: number): void {
    const id = idOf(dev, ino);
    const cur = this.#positions.get(id);
    if (cur && cur.offset >= offset) return;
    this.#positions.set(id, { path, dev, ino, offset });
    this.#dirty = true;
  }

  /** The file was truncated (copy-truncate): restart it at 0. */
  reset(path: string, dev: number, ino: number): void {
    this.#positions.set(idOf(dev, ino), { path, dev, ino, offset: 0 });
    this.#dirty = true;
  }

  /** Drops files that no longer exist, so the table stays bounded. */
  forget(dev: number, ino: number): void {
    if (this.#positions.delete(idOf(dev, ino))) this.#dirty = true;
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
