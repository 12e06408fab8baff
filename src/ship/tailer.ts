/**
 * Which files to read and from where. Every poll it expands the globs and compares each file with
 * what it follows, by inode (rotation.ts) and by content fingerprint (fingerprint.ts):
 * - a new inode is opened and followed — a rename rotation is just the old inode under a new name
 *   (still open, still read to its end) plus a new file;
 * - a file no glob matches any more (deleted, or rotated out of the pattern) is read to its end
 *   through the descriptor still open, then closed;
 * - a truncated file (copy-truncate) gives up its identity and restarts at 0 with a new one; the
 *   copy, matched by the glob, has the old fingerprint and takes over where reading stopped;
 * - a file is read only once its first line is complete (its identity is known), from the
 *   position stored for that identity.
 * The glob must match the rotated copies of a copy-truncate setup (`app.log*`), or the lines
 * written between the last read and the truncation are lost with the copy.
 */
import { closeSync, fstatSync, openSync, statSync } from 'node:fs';
import type { Logger } from '../telemetry/logger.js';
import { fingerprint } from './fingerprint.js';
import { expandGlob } from './glob.js';
import { type Line, readLines } from './line-reader.js';
import { classify } from './rotation.js';

export interface Follower {
  readonly key: string;
  path: string;
  readonly dev: number;
  readonly ino: number;
  readonly fd: number;
  /** Content identity; undefined until the first line is complete, or while another file holds it. */
  id: string | undefined;
  /** Next byte to read. */
  offset: number;
  size: number;
  /** Still matched by a glob (else: read to the end, then closed). */
  present: boolean;
  /** Inside a line longer than one read, whose head was already returned (cut): skip to its end. */
  skipping: boolean;
  /** When its size last changed (ms): a file gone from the globs is closed only once it has been still a while. */
  changedAt: number;
}

/**
 * A writer keeps appending to a renamed (or deleted) file until it reopens its log; a file gone from
 * the globs is closed only after it has not grown for this long, so those last lines are read too.
 */
const CLOSE_AFTER_STILL_MS = 5_000;

export interface TailerEvents {
  truncated?(f: Follower): void;
  opened?(f: Follower): void;
  closed?(f: Follower): void;
}

export class Tailer {
  readonly #followers = new Map<string, Follower>();
  /** Where reading stopped for identities given up by a truncated file, for the copy that takes over. */
  readonly #handoff = new Map<string, number>();
  readonly #unreadable = new Set<string>();

  constructor(
    private readonly globs: readonly string[],
    /** The durable position of an identity (0 when unknown). */
    private readonly stored: (id: string) => number,
    /** Whether an identity still has reads in flight (a drained file is closed only once they settle). */
    private readonly busy: (id: string) => boolean,
    private readonly log: Logger,
    private readonly events: TailerEvents = {},
  ) {}

  get followers(): readonly Follower[] {
    return [...this.#followers.values()];
  }

  /** Live identities: the position table keeps their entries. */
  liveIds(): Set<string> {
    const ids = new Set<string>();
    for (const f of this.#followers.values()) if (f.id !== undefined) ids.add(f.id);
    return ids;
  }

  scan(): void {
    const seen = new Set<string>();
    for (const glob of this.globs) {
      for (const path of expandGlob(glob)) {
        let st: { dev: number; ino: number; size: number };
        try {
          st = statSync(path);
        } catch {
          continue; // gone between the listing and the stat
        }
        const key = `${st.dev}:${st.ino}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const known = this.#followers.get(key);
        if (known) {
          known.path = path;
          known.present = true;
          continue;
        }
        this.#open(path, key, st.dev, st.ino);
      }
    }
    for (const f of this.#followers.values()) {
      if (!seen.has(f.key)) f.present = false;
      this.#update(f);
    }
  }

  #open(path: string, key: string, dev: number, ino: number): void {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      if (!this.#unreadable.has(path)) {
        this.#unreadable.add(path);
        this.log.error({ path, code: (err as NodeJS.ErrnoException).code }, `cannot open ${path}: skipped until it can be read`);
      }
      return;
    }
    this.#unreadable.delete(path);
    const f: Follower = {
      key,
      path,
      dev,
      ino,
      fd,
      id: undefined,
      offset: 0,
      size: 0,
      present: true,
      skipping: false,
      changedAt: Date.now(),
    };
    this.#followers.set(key, f);
    this.events.opened?.(f);
  }

  #update(f: Follower): void {
    const size = fstatSync(f.fd).size;
    if (size !== f.size) f.changedAt = Date.now();
    f.size = size;
    if (f.id !== undefined) {
      const change = classify(f, { dev: f.dev, ino: f.ino, size });
      // Truncated, or truncated and rewritten before this poll — possibly to exactly the old size, so
      // the size alone cannot tell: the first line changed.
      if (change === 'truncated' || fingerprint(f.fd, size) !== f.id) {
        this.log.info({ path: f.path, offset: f.offset, size }, `${f.path} was truncated: reading it again from the start`);
        this.#handoff.set(f.id, f.offset);
        f.id = undefined;
        f.offset = 0;
        f.skipping = false;
        this.events.truncated?.(f);
      }
    }
    if (f.id === undefined) this.#identify(f);
    const drained = f.id === undefined || (f.offset >= f.size && !this.busy(f.id));
    if (!f.present && drained && Date.now() - f.changedAt >= CLOSE_AFTER_STILL_MS) this.#close(f);
  }

  #identify(f: Follower): void {
    const id = fingerprint(f.fd, f.size);
    if (id === undefined) return;
    for (const other of this.#followers.values()) {
      // The copy of a copy-truncate rotation, seen before the truncation: wait until the original gives the identity up.
      if (other !== f && other.id === id) return;
    }
    // A copy may be shorter than where the original was read to (lines written after the copy, before the truncation, were read already).
    f.offset = Math.min(Math.max(this.stored(id), this.#handoff.get(id) ?? 0), f.size);
    f.id = id;
    this.#handoff.delete(id);
  }

  #close(f: Follower): void {
    closeSync(f.fd);
    this.#followers.delete(f.key);
    this.events.closed?.(f);
  }

  /**
   * Complete lines from the follower's offset (at most `maxBytes`); the offset moves past them. A
   * line longer than `maxBytes` is returned once, cut and flagged; the rest of it is skipped rather
   * than returned as more broken lines.
   */
  read(f: Follower, maxBytes: number): Line[] {
    if (f.id === undefined || f.offset >= f.size) return [];
    const lines = readLines(f.fd, f.offset, maxBytes);
    const last = lines[lines.length - 1];
    if (!last) return lines;
    f.offset = last.end;
    if (f.skipping) {
      const rest = lines.shift() as Line;
      f.skipping = rest.oversized;
    } else if (last.oversized) f.skipping = true;
    return lines;
  }

  close(): void {
    for (const f of this.#followers.values()) closeSync(f.fd);
    this.#followers.clear();
  }
}
