/**
 * What happened to a followed file since the last look, from its identity and size alone:
 * - `rotated`: the path now names another inode (rotation by rename, or delete + recreate). The old
 *   file is still open, so the tailer drains it to EOF before switching, and loses nothing;
 * - `truncated`: same inode, size below the read offset (copy-truncate, or `> file`). Reading
 *   restarts at 0: the bytes between the last acknowledged offset and the copy are in the copy,
 *   which the glob picks up as a new file;
 * - `grown` / `unchanged`: keep reading from the offset;
 * - `gone`: the path no longer exists (rotated away, nothing new yet): drain the open file.
 */
export interface FileIdentity {
  dev: number;
  ino: number;
}

export interface FollowedFile extends FileIdentity {
  offset: number;
}

export interface PathStat extends FileIdentity {
  size: number;
}

export type Change = 'unchanged' | 'grown' | 'truncated' | 'rotated' | 'gone';

export function classify(followed: FollowedFile, now: PathStat | undefined): Change {
  if (!now) return 'gone';
  if (now.dev !== followed.dev || now.ino !== followed.ino) return 'rotated';
  if (now.size < followed.offset) return 'truncated';
  if (now.size > followed.offset) return 'grown';
  return 'unchanged';
}
