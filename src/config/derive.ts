/**
 * After validation: defaults that depend on other options or the machine, what replay's own flags
 * mean for the shared options, and the frozen nested config tree the program reads.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { Values } from './merge.js';
import { type Command, isCommandSection, KEYS, sectionOf } from './schema.js';

/** Defaults that depend on other options or on the machine. */
export function computeDefaults(v: Values): void {
  const topic = v.get('kafka.topic')?.[0];
  if (!v.has('kafka.deadLetterTopic') && topic !== undefined) v.set('kafka.deadLetterTopic', `${topic}.dead-letter`, { kind: 'default' });
  if (!v.has('kafka.rekeyTopic') && topic !== undefined) v.set('kafka.rekeyTopic', `${topic}.by-trace`, { kind: 'default' });
  if (!v.has('workers')) v.set('workers', Math.min(64, Math.max(1, availableParallelism())), { kind: 'default' });
  // A fresh group per run: a replay never moves the offsets of the ingest group, nor of an earlier replay.
  if (!v.has('bench.workersMax')) v.set('bench.workersMax', Math.min(64, Math.max(1, availableParallelism())), { kind: 'default' });
  if (!v.has('replay.group')) v.set('replay.group', `tracefold-replay-${randomBytes(4).toString('hex')}`, { kind: 'default' });
}

/** What the replay flags mean for the shared options, applied so the rest of the program reads one place. */
export function applyReplay(v: Values): void {
  const out = v.get('replay.out');
  if (out !== undefined) {
    v.set('sink.kind', 'file', v.source('replay.out'));
    v.set('sink.file', out, v.source('replay.out'));
  }
  if (v.get('replay.dryRun')) v.set('sink.kind', 'null', v.source('replay.dryRun'));
  const prefix = v.get('replay.esIndexPrefix');
  if (prefix !== undefined) v.set('es.index', prefix, v.source('replay.esIndexPrefix'));
}

export function buildTree(v: Values, command: Command): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const key of KEYS) {
    const section = sectionOf(key);
    if (isCommandSection(section) && section !== command) continue;
    const path = key.split('.');
    let node = root;
    for (const part of path.slice(0, -1)) {
      node[part] ??= {};
      node = node[part] as Record<string, unknown>;
    }
    node[path[path.length - 1]!] = v.get(key);
  }
  return root;
}

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
