import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { checkSampling } from '../../../bench/sampling-check.js';
import type { LabelledTrace } from '../../../bench/workload.js';
import type { Span } from '../../../core/model/span.js';

const NOW_MS = Date.parse('2026-12-06T03:00:00Z');
const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');

/** 1,200 stored traces of 11 spans under one root name, one a second apart: 13,200 spans. */
function workload(): LabelledTrace[] {
  const out: LabelledTrace[] = [];
  for (let i = 0; i < 1200; i++) {
    const traceId = hex(i + 1, 32);
    const ts = (NOW_MS - 1_300_000 + i * 1000) * 1000;
    const spans: Span[] = [];
    for (let k = 0; k < 11; k++) {
      spans.push({
        traceId,
        id: hex(i * 100 + k + 1, 16),
        ...(k === 0 ? {} : { parentId: hex(i * 100 + 1, 16) }),
        name: k === 0 ? 'shape-a:get' : `child-${k}`,
        timestamp: ts + k,
        duration: 10,
        tags: { 'tracefold.sampled': 'slow' },
      });
    }
    out.push({ class: i % 100 === 0 ? 'slow' : 'common', shape: 'shape-a', traceId, spans });
  }
  return out;
}

test('checkSampling finds every stored trace when the stock server cuts an answer at 10,000 spans', async () => {
  const traces = workload();
  let requests = 0;
  // Like the stock server's Elasticsearch reader: traces with a span of that name in the time range,
  // newest first, and silently no more than 10,000 spans in all.
  const server = createServer((req, res) => {
    requests++;
    const q = new URL(req.url ?? '/', 'http://x').searchParams;
    const endTs = Number(q.get('endTs'));
    const lookback = Number(q.get('lookback'));
    const name = q.get('spanName');
    const found = traces
      .filter((t) =>
        t.spans.some((s) => s.name === name && (s.timestamp ?? 0) / 1000 >= endTs - lookback && (s.timestamp ?? 0) / 1000 <= endTs),
      )
      .reverse();
    const answer: Span[][] = [];
    let left = 10_000;
    for (const t of found) {
      if (left === 0) break;
      const part = t.spans.slice(0, left);
      left -= part.length;
      answer.push(part);
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(answer));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const outcome = await checkSampling(url, traces, NOW_MS + 60_000, 3_600_000);
    assert.equal(outcome.storedTraces, 1200);
    assert.equal(outcome.storedSpans, 13_200);
    assert.deepEqual(outcome.lost, []);
    assert.deepEqual(outcome.byClass.slow, { total: 12, stored: 12 });
    assert.ok(requests > 1, 'the capped answer was asked again in parts');
  } finally {
    server.close();
  }
});
