import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dependencyBulkLines, dependencyDocuments } from '../../../../workers/link/dependency-document.js';
import type { Link } from '../../../../workers/link/linker.js';
import { type DependencyGroup, DependencyWindows } from '../../../../workers/link/windows.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 11, 4, 10, 0, 0);
const L = (parent: string, child: string, callCount = 1, errorCount = 0): Link => ({ parent, child, callCount, errorCount });
const settings = { prefix: 'zipkin', delimiter: '-', dateSeparator: '-', supportsTypes: false };
/** The windows read only span IDs of a trace fragment. */
const spans = (ids: string[]): { id: string }[] => ids.map((id) => ({ id }));

interface T {
  links: Link[];
  at: number;
  traceId: string;
  spanIds: string[];
}
const traces: T[] = [
  { links: [L('a', 'b'), L('b', 'db', 2, 1)], at: T0 + 10, traceId: 't1', spanIds: ['1', '2', '3'] },
  { links: [L('a', 'b', 1, 1)], at: T0 + 20_000, traceId: 't2', spanIds: ['4', '5'] },
  { links: [L('a', 'c')], at: T0 + HOUR + 5, traceId: 't3', spanIds: ['6'] },
];

function run(order: readonly T[], sealEvery: number): DependencyGroup[] {
  const w = new DependencyWindows({ windowMs: HOUR, graceMs: 60_000 });
  const out: DependencyGroup[] = [];
  order.forEach((t, i) => {
    w.add(t.links, t.at, t.traceId, spans(t.spanIds));
    if ((i + 1) % sealEvery === 0) out.push(...w.seal());
  });
  out.push(...w.seal(true));
  return out;
}

function docIds(groups: DependencyGroup[]): string[] {
  return groups.flatMap((g) => dependencyDocuments(g, settings).map((d) => d.id)).sort();
}

describe('DependencyWindows', () => {
  it('sums links per window of the trace start and seals only after end + grace', () => {
    const w = new DependencyWindows({ windowMs: HOUR, graceMs: 60_000 });
    for (const t of traces) w.add(t.links, t.at, t.traceId, spans(t.spanIds));
    assert.deepEqual(w.seal(), []); // watermark T0+1h+5 < T0+1h+60s
    w.add([], T0 + HOUR + 60_000, 'tx', spans(['9']));
    const [first, ...rest] = w.seal();
    assert.equal(rest.length, 0);
    assert.equal(first?.windowStart, T0);
    assert.equal(first?.traces, 2);
    assert.deepEqual(first?.links, [L('a', 'b', 2, 1), L('b', 'db', 2, 1)]);
    assert.deepEqual(
      w.seal(true).map((g) => [g.windowStart, g.links]),
      [[T0 + HOUR, [L('a', 'c')]]],
    );
  });

  it('the same traces give the same document ids whatever their order (replay overwrites)', () => {
    assert.deepEqual(docIds(run(traces, 100)), docIds(run([...traces].reverse(), 100)));
  });

  it('a late trace forms a new group with new ids, so it adds instead of overwriting', () => {
    const w = new DependencyWindows({ windowMs: HOUR, graceMs: 60_000 });
    const [t1, t2, t3] = traces as [T, T, T];
    w.add(t1.links, t1.at, t1.traceId, spans(t1.spanIds));
    w.add(t3.links, T0 + 2 * HOUR, t3.traceId, spans(t3.spanIds));
    const onTime = w.seal();
    assert.equal(onTime.length, 1);
    w.add(t2.links, t2.at, t2.traceId, spans(t2.spanIds)); // window T0 already sealed
    assert.deepEqual(w.seal(), [], 'a late group waits one grace period of watermark');
    w.add([], T0 + 2 * HOUR + 60_000, 'tx', spans(['9']));
    const late = w.seal();
    assert.deepEqual(
      late.map((g) => g.windowStart),
      [T0],
      'only the late group is due; the window of T0+2h still waits',
    );
    assert.deepEqual(late[0]?.links, [L('a', 'b', 1, 1)]);
    const ids = new Set(docIds(onTime));
    for (const id of docIds(late)) assert.ok(!ids.has(id), 'late documents must not overwrite on-time ones');
  });

  it('a fragment of the same trace with other spans is another member', () => {
    const a = run([{ ...(traces[0] as T) }], 1);
    const b = run([{ ...(traces[0] as T), spanIds: ['1', '2'] }], 1);
    assert.notDeepEqual(docIds(a), docIds(b));
    const c = run([{ ...(traces[0] as T), spanIds: ['3', '2', '1'] }], 1);
    assert.deepEqual(docIds(a), docIds(c));
  });

  it('rejects a window that does not divide a day', () => {
    assert.throws(() => new DependencyWindows({ windowMs: 7 * HOUR }), /divisor of a day/);
  });
});

describe('dependency documents', () => {
  const group: DependencyGroup = { windowStart: T0, traces: 2, digest: '0011223344556677', links: [L('a', 'b"q', 3, 1)] };

  it('go to the day index with prefix, delimiter and date separator', () => {
    assert.equal(dependencyDocuments(group, settings)[0]?.index, 'zipkin-dependency-2026-12-04');
    assert.equal(
      dependencyDocuments(group, { ...settings, prefix: 'p', delimiter: ':', dateSeparator: '.' })[0]?.index,
      'p:dependency-2026.12.04',
    );
    assert.equal(dependencyDocuments(group, { ...settings, dateSeparator: '' })[0]?.index, 'zipkin-dependency-20261204');
  });

  it('are bulk lines Zipkin parses, with the _type only where the engine has types', () => {
    const docs = dependencyDocuments(group, settings);
    const [action, source] = dependencyBulkLines(docs, false).trimEnd().split('\n');
    assert.deepEqual(JSON.parse(action as string), { index: { _index: 'zipkin-dependency-2026-12-04', _id: docs[0]?.id } });
    assert.deepEqual(JSON.parse(source as string), { id: 'a|b"q', parent: 'a', child: 'b"q', callCount: 3, errorCount: 1 });
    const typed = JSON.parse(dependencyBulkLines(docs, true).split('\n')[0] as string) as { index: { _type: string } };
    assert.equal(typed.index._type, 'dependency');
  });

  it('ids differ per edge and per group', () => {
    const two = dependencyDocuments({ ...group, links: [L('a', 'b'), L('b', 'a')] }, settings);
    assert.notEqual(two[0]?.id, two[1]?.id);
    assert.notEqual(
      dependencyDocuments(group, settings)[0]?.id,
      dependencyDocuments({ ...group, digest: '0011223344556678' }, settings)[0]?.id,
    );
  });
});
