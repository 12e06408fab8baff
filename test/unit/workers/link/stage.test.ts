import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Span } from '../../../../core/model/span.js';
import { linkFlags, traceKey } from '../../../../workers/assemble/facts.js';
import { dependencyDocuments } from '../../../../workers/link/dependency-document.js';
import { type LinkFacts, localEndpointKey } from '../../../../workers/link/facts.js';
import { LinkCounter, linkSpanOf, linkTrace } from '../../../../workers/link/linker.js';
import { LinkRows } from '../../../../workers/link/rows.js';
import { DependencyStage } from '../../../../workers/link/stage.js';
import { DependencyWindows } from '../../../../workers/link/windows.js';
import { linkTestTrace } from '../../../helpers/link-traffic.js';
import { createPrng } from '../../../helpers/prng.js';
import { sharedTraces } from '../../../helpers/traffic.js';

const INDEX = { prefix: 'zipkin', delimiter: '-', dateSeparator: '-', supportsTypes: false };
const NOW = Date.UTC(2026, 11, 6);

function factsOf(s: Span): LinkFacts {
  return {
    id: s.id,
    parentId: s.parentId ?? '',
    kind: s.kind ?? '',
    service: s.localEndpoint?.serviceName ?? '',
    remoteService: s.remoteEndpoint?.serviceName ?? '',
    name: '',
    timestamp: s.timestamp ?? 0,
    duration: 0,
    flags: linkFlags(s),
    endpoint: localEndpointKey(s),
  };
}

/** `_id` → [parent, child, calls, errors] of the documents sealed on drain. */
function documents(stage: DependencyStage): Map<string, [string, string, number, number]> {
  const out = new Map<string, [string, string, number, number]>();
  for (const item of stage.seal(true)) {
    const [action, doc] = item.trim().split('\n') as [string, string];
    const id = (JSON.parse(action) as { index: { _id: string } }).index._id;
    const d = JSON.parse(doc) as { parent: string; child: string; callCount: number; errorCount: number };
    out.set(id, [d.parent, d.child, d.callCount, d.errorCount]);
  }
  return out;
}

function edgeSums(edges: readonly (readonly [string, string, number, number])[]): Map<string, string> {
  const sums = new Map<string, [number, number]>();
  for (const [p, c, calls, errors] of edges) {
    const s = sums.get(`${p}→${c}`) ?? [0, 0];
    sums.set(`${p}→${c}`, [s[0] + calls, s[1] + errors]);
  }
  return new Map([...sums].map(([k, [c, e]]) => [k, `${c}/${e}`]));
}

describe('DependencyStage', () => {
  it('counts the same edges from link rows as from facts records, with the same document IDs, and as Zipkin’s linker', () => {
    const traces: Span[][] = sharedTraces().map((f) => f.spans);
    const prng = createPrng(13);
    for (let i = 0; i < 300; i++) traces.push(linkTestTrace(prng, NOW * 1000 + i * 1000));
    const fromRows = new DependencyStage(INDEX);
    const fromFacts = new DependencyStage(INDEX);
    const reference = new LinkCounter();
    // Zipkin's linker and the windows' own digest of the span ID strings: the documents the stage must make.
    const windows = new DependencyWindows();
    const rows = new LinkRows();
    for (const spans of traces) {
      const key = traceKey((spans[0] as Span).traceId);
      const entries = spans.map((s) => {
        const f = factsOf(s);
        return rows.add(f.id, f.parentId, f.kind, f.service, f.remoteService, f.timestamp, f.flags, f.endpoint);
      });
      fromRows.onRows(key, rows, entries, NOW);
      for (const row of entries) rows.release(row);
      fromFacts.onTrace(key, spans.map(factsOf), NOW);
      reference.putTrace(spans.map(linkSpanOf));
      const start = Math.min(...spans.map((s) => s.timestamp ?? Number.POSITIVE_INFINITY));
      windows.add(linkTrace(spans.map(linkSpanOf)), Number.isFinite(start) ? Math.floor(start / 1000) : NOW, key, spans);
    }
    assert.equal(rows.size, 0);
    const live = fromRows.takeLive();
    assert.deepEqual(fromRows.takeLive(), [], 'the live counts start over once taken');
    const expected = edgeSums(reference.links().map((l) => [l.parent, l.child, l.callCount, l.errorCount] as const));
    assert.ok(expected.size > 10, `only ${expected.size} edges`);
    assert.deepEqual(edgeSums(live), expected);
    assert.deepEqual(edgeSums(fromFacts.takeLive()), expected);
    const docs = documents(fromRows);
    assert.deepEqual(docs, documents(fromFacts));
    const expectedDocs = windows.seal(true).flatMap((g) => dependencyDocuments(g, INDEX));
    assert.deepEqual(new Set(docs.keys()), new Set(expectedDocs.map((d) => d.id)));
    assert.deepEqual(edgeSums([...docs.values()]), expected);
  });

  it('counts a trace whose IDs are not hex words through the general linker', () => {
    const stage = new DependencyStage(INDEX);
    const rows = new LinkRows();
    const client = rows.add('a', '', 'CLIENT', 'web', 'db', NOW * 1000, 0, '');
    const other = rows.add('b', 'a', 'SERVER', 'db', '', NOW * 1000 + 5, 0, '');
    stage.onRows('t1', rows, [client, other], NOW);
    assert.deepEqual(stage.takeLive(), [['web', 'db', 1, 0]]);
    assert.equal(stage.seal(true).length, 1);
  });
});
