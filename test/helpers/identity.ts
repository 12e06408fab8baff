/**
 * "Nothing lost" judged by identity, not by sums: every produced span document is found in the
 * index exactly once, and nothing else is. A sum would pass a duplicate plus a missing span; this
 * lists both.
 *
 * A span's identity is (traceId, id, kind, shared): the fields Zipkin's storage distinguishes. A
 * real trace can report one identity several times with different content (late annotations):
 * those are distinct documents, each expected once, so an identity maps to its count of distinct
 * documents.
 */
import assert from 'node:assert/strict';
import type { Span } from '../../core/model/span.js';

export type Identity = string;

export function spanIdentity(s: { traceId?: unknown; id?: unknown; kind?: unknown; shared?: unknown }): Identity {
  return `${String(s.traceId)}/${String(s.id)}/${typeof s.kind === 'string' ? s.kind : ''}/${s.shared === true}`;
}

/** Identity → number of distinct documents the produced spans make. */
export function expectedIdentities(traces: readonly (readonly Span[])[]): Map<Identity, number> {
  const variants = new Map<Identity, Set<string>>();
  for (const t of traces) {
    for (const s of t) {
      const k = spanIdentity(s);
      let v = variants.get(k);
      if (v === undefined) {
        v = new Set();
        variants.set(k, v);
      }
      v.add(JSON.stringify(s));
    }
  }
  return new Map([...variants].map(([k, v]) => [k, v.size]));
}

export interface IdentityReport {
  scenario: string;
  /** Documents produced (distinct span documents). */
  produced: number;
  /** Documents found in the index. */
  stored: number;
  /** Documents routed to the dead-letter topic on purpose (excluded from `produced` expectations). */
  deadLettered: number;
  /** Identities stored fewer times than produced (with how many are missing). */
  missing: string[];
  /** Identities stored more times than produced. */
  duplicated: string[];
  /** Identities stored that were never produced (or were expected in the dead-letter topic). */
  extra: string[];
}

export function compareIdentities(
  scenario: string,
  expected: ReadonlyMap<Identity, number>,
  stored: ReadonlyMap<Identity, number>,
  deadLettered: ReadonlySet<Identity> = new Set(),
): IdentityReport {
  const report: IdentityReport = { scenario, produced: 0, stored: 0, deadLettered: 0, missing: [], duplicated: [], extra: [] };
  for (const [k, n] of expected) {
    if (deadLettered.has(k)) {
      report.deadLettered += n;
      continue;
    }
    report.produced += n;
    const got = stored.get(k) ?? 0;
    if (got < n) report.missing.push(`${k} (${n - got} of ${n})`);
    else if (got > n) report.duplicated.push(`${k} (${got} stored, ${n} expected)`);
  }
  for (const [k, n] of stored) {
    report.stored += n;
    if (!expected.has(k) || deadLettered.has(k)) report.extra.push(`${k} (${n})`);
  }
  return report;
}

/** One line per scenario, in every run's output: produced / stored / missing / duplicated / dead-lettered. */
export function formatReport(r: IdentityReport): string {
  return (
    `[identity] ${r.scenario}: produced ${r.produced}, stored ${r.stored}, missing ${r.missing.length}, ` +
    `duplicated ${r.duplicated.length}, extra ${r.extra.length}, dead-lettered ${r.deadLettered}`
  );
}

/** Prints the report line and fails listing (the first 20 of) every missing, duplicated or extra identity. */
export function assertIdentity(r: IdentityReport): void {
  process.stdout.write(`${formatReport(r)}\n`);
  const head = (xs: string[]): string[] => (xs.length > 20 ? [...xs.slice(0, 20), `… ${xs.length - 20} more`] : xs);
  assert.deepEqual(
    { missing: head(r.missing), duplicated: head(r.duplicated), extra: head(r.extra) },
    { missing: [], duplicated: [], extra: [] },
    `${r.scenario}: every produced span stored exactly once and nothing else`,
  );
}
