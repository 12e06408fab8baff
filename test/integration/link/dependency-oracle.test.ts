/**
 * Oracle for the dependency linker: the same spans go to a stock Zipkin server with in-memory
 * storage (which links with Zipkin's own DependencyLinker) and through tracefold's linker; the
 * calls and errors per edge must be equal. Spans: every shared real trace, copies of them, and
 * generated traces shaped to hit each linking rule.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { decodeJsonV2 } from '../../../core/codec/decode/json-v2.js';
import { encodeJsonV2 } from '../../../core/codec/encode/json-v2.js';
import type { Span } from '../../../core/model/span.js';
import { type ServerHandle, startZipkin, stopServers } from '../../../infra/index.js';
import { factsOf, Interner } from '../../../workers/assemble/facts.js';
import { type LinkFacts, linkSpanOfFacts, localEndpointKey } from '../../../workers/link/facts.js';
import { linkFacts } from '../../../workers/link/fast-linker.js';
import { type Link, LinkCounter, linkSpanOf, linkTrace } from '../../../workers/link/linker.js';
import { linkTestTrace } from '../../helpers/link-traffic.js';
import { createPrng } from '../../helpers/prng.js';
import { copyTrace, sharedTraces } from '../../helpers/traffic.js';
import { zipkinGet, zipkinPost } from '../../helpers/zipkin-api.js';

const NAME = 'zipkin-deps-mem';
const PORT = Number(process.env.TF_DEPS_ORACLE_PORT ?? 9437);
// Far enough back to include every span (also the timestamp-less ones, counted at 0).
const LOOKBACK = '100000000000000';
let zipkin: ServerHandle | undefined;

before(async () => {
  // In-memory storage keeps what an earlier run posted: always start from an empty server.
  await stopServers([NAME]);
  zipkin = await startZipkin(
    { name: NAME, port: PORT, env: { STORAGE_TYPE: 'mem', QUERY_LOOKBACK: LOOKBACK, MEM_MAX_SPANS: '5000000' } },
    { dependencies: false },
  );
});

after(async () => {
  await zipkin?.stop();
});

async function zipkinLinks(base: string): Promise<Link[]> {
  const endTs = Date.now() + 86_400_000;
  return (await zipkinGet<Link[]>(base, `/api/v2/dependencies?endTs=${endTs}&lookback=${endTs}`)) ?? [];
}

function byEdge(links: readonly Link[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const l of links) m.set(`${l.parent} -> ${l.child}`, `calls=${l.callCount} errors=${l.errorCount ?? 0}`);
  return new Map([...m].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Zipkin's memory store groups a trace by the low 64 bits of its id; so does the harness. */
function linkAll(spans: readonly Span[]): Link[] {
  const traces = new Map<string, Span[]>();
  for (const s of spans) {
    const low = s.traceId.slice(-16);
    const t = traces.get(low);
    if (t) t.push(s);
    else traces.set(low, [s]);
  }
  const counter = new LinkCounter();
  for (const t of traces.values()) counter.putTrace(t.map(linkSpanOf));
  return counter.links();
}

/** The same, on span facts as the pipeline links them: the fast path, else the general linker. */
function linkAllFacts(spans: readonly Span[]): Link[] {
  const traces = new Map<string, LinkFacts[]>();
  for (const s of spans) {
    const f: LinkFacts = { ...factsOf(s, new Interner()), endpoint: localEndpointKey(s) };
    const low = s.traceId.slice(-16);
    const t = traces.get(low);
    if (t) t.push(f);
    else traces.set(low, [f]);
  }
  const counter = new LinkCounter();
  for (const [key, t] of traces) {
    const links = linkFacts(t) ?? linkTrace(t.map((f) => linkSpanOfFacts(key, f)));
    for (const l of links) counter.add(l.parent, l.child, l.callCount, l.errorCount);
  }
  return counter.links();
}

test('dependency links equal Zipkin in-memory storage over shared, copied and generated traces', async () => {
  const base = zipkin?.url as string;
  const prng = createPrng(20261204);
  const traces: Span[][] = [];
  const shared = sharedTraces();
  for (const t of shared) traces.push(t.spans);
  for (let i = 0; i < 3; i++) for (const t of shared) traces.push(copyTrace(t.spans, prng));
  const start = (Date.now() - 3_600_000) * 1000;
  for (let i = 0; i < 400; i++) traces.push(linkTestTrace(prng, start + i * 1000));

  // What both sides see are the same decoded spans: tracefold's decoder output, re-encoded.
  const posted: Span[] = [];
  for (const t of traces) {
    const bytes = encodeJsonV2(t);
    const decoded = decodeJsonV2(bytes);
    assert.deepEqual(decoded.errors, []);
    posted.push(...decoded.spans);
  }
  for (let i = 0; i < posted.length; i += 500) await zipkinPost(base, posted.slice(i, i + 500));

  const expected = byEdge(await zipkinLinks(base));
  const actual = byEdge(linkAll(posted));
  assert.ok(expected.size >= 10, `the oracle should see a real graph, saw ${expected.size} edges`);
  let errors = 0;
  for (const v of expected.values()) if (!v.endsWith('errors=0')) errors++;
  assert.ok(errors > 0, 'some edges should carry errors');
  assert.deepEqual(actual, expected);
  assert.deepEqual(byEdge(linkAllFacts(posted)), expected, "the pipeline's linking of span facts");
});
