/**
 * File globs for `ship --path`: `*`, `?` and `[…]` in any path segment (no `**`: a shipper following
 * a whole tree by accident would open every file in it). Node 20 has no fs.glob, and a dependency
 * for forty lines is not worth it. Only regular files match.
 */
import { readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve, sep } from 'node:path';
import { TracefoldError } from '../../core/errors.js';

const MAGIC = /[*?[]/;

function segmentRegex(segment: string): RegExp {
  let re = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i] as string;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = segment.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        const body = segment
          .slice(i + 1, close)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = close;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  // A leading dot is matched only by a pattern that starts with one, as in shells.
  return new RegExp(segment.startsWith('.') ? `^${re}$` : `^(?!\\.)${re}$`);
}

/** The directory before the first wildcard segment, and the segments from there. */
export function splitGlob(pattern: string, cwd = process.cwd()): { base: string; parts: string[] } {
  const abs = isAbsolute(pattern) ? pattern : resolve(cwd, pattern);
  const segments = abs.split(sep);
  const first = segments.findIndex((s) => MAGIC.test(s));
  if (first < 0) return { base: segments.slice(0, -1).join(sep) || sep, parts: segments.slice(-1) };
  return { base: segments.slice(0, first).join(sep) || sep, parts: segments.slice(first) };
}

/** Regular files matching the pattern now, sorted. Unreadable directories below the base are skipped. */
export function expandGlob(pattern: string, cwd = process.cwd()): string[] {
  const { base, parts } = splitGlob(pattern, cwd);
  let dirs = [base];
  for (const [i, part] of parts.entries()) {
    const last = i === parts.length - 1;
    const next: string[] = [];
    for (const dir of dirs) {
      if (!MAGIC.test(part)) {
        next.push(join(dir, part));
        continue;
      }
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        continue;
      }
      const re = segmentRegex(part);
      for (const name of names) if (re.test(name)) next.push(join(dir, name));
    }
    dirs = last ? next : next.filter(isDirectory);
  }
  return dirs.filter(isFile).sort();
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Start-up check: a pattern's base directory must exist and be listable, and a literal file that
 * exists must be readable; otherwise the shipper would wait forever for files it can never see.
 * A pattern matching nothing yet is fine (the files may come later). Every problem at once.
 */
export function checkGlobs(patterns: readonly string[], access: (path: string) => void, cwd = process.cwd()): void {
  const problems: string[] = [];
  for (const pattern of patterns) {
    const { base, parts } = splitGlob(pattern, cwd);
    try {
      if (!statSync(base).isDirectory()) {
        problems.push(`${pattern}: ${base} is not a directory`);
        continue;
      }
      readdirSync(base);
    } catch (err) {
      problems.push(`${pattern}: cannot read directory ${base} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      continue;
    }
    for (const file of expandGlob(pattern, cwd)) {
      try {
        access(file);
      } catch (err) {
        problems.push(`${pattern}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      }
    }
    if (parts.length === 1 && !MAGIC.test(parts[0] as string) && isDirectory(join(base, parts[0] as string))) {
      problems.push(`${pattern} is a directory: give a file or a glob such as ${join(pattern, '*.log')}`);
    }
  }
  if (problems.length > 0) throw new TracefoldError('TF_INPUT', `unreadable --path: ${problems.join('; ')}`);
}
