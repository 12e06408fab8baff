/**
 * Browser tests with Debian's Chromium driven by playwright-core (never a downloaded browser):
 * tracefold's status page updates while traffic flows and draws the service graph; the stock
 * Zipkin UI, reading tracefold's indices, finds a service's traces, opens one, and shows the
 * dependency links tracefold wrote; a trace the OpenTelemetry Python SDK exports over OTLP/HTTP to
 * tracefold's `/v1/traces` shows there with its services, span names, error marker and event
 * annotations. Screenshots go to .tracefold/screenshots/ (path printed).
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { encodeJsonV2 } from '../../../core/codec/encode/json-v2.js';
import type { Span } from '../../../core/model/span.js';
import { type ServerHandle, startZipkin } from '../../../infra/index.js';
import { deleteTopic, ensureTopics } from '../../../src/kafka/admin.js';
import { KafkaProducer } from '../../../src/kafka/producer.js';
import { linkTestTrace } from '../../helpers/link-traffic.js';
import { type BrowserSpan, exportOtlpHttpTrace } from '../../helpers/otel.js';
import { createPrng } from '../../helpers/prng.js';
import { countDocs, deleteIndices } from '../../helpers/search.js';
import { KAFKA, OPENSEARCH, requireHttp, uniqueName } from '../../helpers/servers.js';
import { freePort, type Running, startTracefold, waitFor } from '../../helpers/tracefold.js';
import { zipkinGet } from '../../helpers/zipkin-api.js';

const SHOTS = join(import.meta.dirname, '../../../.tracefold/screenshots');
const READER_PORT = Number(process.env.TF_UI_ZIPKIN_PORT ?? 9440);
const ADMIN_PORT = Number(process.env.TF_UI_ADMIN_PORT ?? 19_400 + (process.pid % 500));
const topic = uniqueName('tf-ui');
const prefix = uniqueName('tfui');
const prng = createPrng(777);
const sent: Span[][] = [];
let browser: Browser;
let reader: ServerHandle;
let tracefold: Running | undefined;
let producer: KafkaProducer;
/** tracefold's HTTP intake (OTLP/HTTP `POST /v1/traces`), on a free port. */
let httpPort: number;

async function shot(page: Page, name: string): Promise<void> {
  const path = join(SHOTS, `${prefix}-${name}.png`);
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot: ${path}`);
}

/** Span documents of one trace in tracefold's span indices. */
async function countTrace(traceId: string): Promise<number> {
  await fetch(`${OPENSEARCH}/${prefix}-span-*/_refresh?allow_no_indices=true&ignore_unavailable=true`, { method: 'POST' });
  const res = await fetch(`${OPENSEARCH}/${prefix}-span-*/_count?allow_no_indices=true&ignore_unavailable=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: { term: { traceId } } }),
  });
  return ((await res.json()) as { count?: number }).count ?? 0;
}

/** The Lens timeline's rows, by their label "service: span name" (the page title is an h6). */
function rows(page: Page, label: RegExp | string) {
  return page.getByText(label, { exact: true }).and(page.locator('div'));
}

async function rowLabels(page: Page): Promise<string[]> {
  return (await rows(page, /^otel-[a-z]+: /).allTextContents()).map((t) => t.trim());
}

/** The text of the span detail panel beside the timeline. */
async function detail(page: Page): Promise<string> {
  // biome-ignore lint/performance/useDomNodeTextContent: the rendered text keeps the tab between a tag's key and value
  return (await page.locator('body').innerText()).split('Service name').slice(1).join('Service name');
}

async function produce(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const t = linkTestTrace(prng, (Date.now() - 60_000) * 1000);
    sent.push(t);
    await producer.send({ topic, value: Buffer.from(encodeJsonV2(t)) });
  }
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  await requireHttp(OPENSEARCH, 'OpenSearch');
  await ensureTopics(KAFKA, [{ topic, partitions: 2 }]);
  reader = await startZipkin({ name: 'zipkin-ui-reader', port: READER_PORT, esIndex: prefix });
  producer = await KafkaProducer.connect(KAFKA);
  httpPort = await freePort();
  tracefold = startTracefold(
    [
      'ingest',
      '--workers',
      '2',
      '--admin-port',
      String(ADMIN_PORT),
      '--window-quiet-ms',
      '1s',
      '--http-enabled',
      '--http-port',
      String(httpPort),
    ],
    {
      KAFKA_BOOTSTRAP_SERVERS: KAFKA,
      KAFKA_TOPIC: topic,
      KAFKA_GROUP_ID: uniqueName('tfui'),
      ES_HOSTS: OPENSEARCH,
      ES_INDEX: prefix,
      ES_INDEX_SHARDS: '1',
      ES_INDEX_REPLICAS: '0',
    },
    prefix,
  );
  await waitFor(
    'the admin port',
    async () => (await fetch(`http://127.0.0.1:${ADMIN_PORT}/health`).catch(() => undefined))?.ok === true,
    60_000,
  );
  await waitFor(
    'the OTLP/HTTP intake to listen',
    async () => {
      const res = await fetch(`http://127.0.0.1:${httpPort}/v1/traces`).catch(() => undefined);
      await res?.arrayBuffer();
      return res?.status === 405;
    },
    60_000,
  );
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
});

after(async () => {
  await browser?.close();
  await producer?.close();
  if (tracefold && tracefold.child.exitCode === null) {
    tracefold.child.kill('SIGTERM');
    await tracefold.exited;
  }
  await reader?.stop();
  await deleteIndices(`${prefix}-*`);
  await deleteTopic(KAFKA, topic).catch(() => undefined);
});

test("the status page's numbers change while traffic flows, and it draws the service graph", { timeout: 180_000 }, async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  await page.goto(`http://127.0.0.1:${ADMIN_PORT}/status`);
  await page.waitForSelector('#updated:has-text("updated")', { timeout: 15_000 });
  const spansIn = async (): Promise<number> => Number(((await page.textContent('#spans-in')) ?? '0').replace(/,/g, ''));
  const first = await spansIn();
  await produce(20);
  await waitFor('the page to count the new spans', async () => (await spansIn()) > first, 60_000, 250);
  const second = await spansIn();
  await produce(20);
  await waitFor('the page to count more spans', async () => (await spansIn()) > second, 60_000, 250);
  await waitFor('a service graph edge to be drawn', async () => (await page.locator('#graph .edge').count()) > 0, 30_000, 250);
  await waitFor(
    'a non-zero input rate',
    async () => Number(((await page.textContent('#rate-in')) ?? '0').replace(/,/g, '')) > 0,
    30_000,
    250,
  );
  await shot(page, 'status');
  await page.close();
});

test('a trace the OpenTelemetry SDK exports over OTLP/HTTP shows in the Zipkin UI', { timeout: 180_000 }, async () => {
  const sent = exportOtlpHttpTrace(`http://127.0.0.1:${httpPort}/v1/traces`, prefix);
  const { traceId, spans } = sent;
  // What the fixture makes; guards the assertions below against a fixture that stops exercising them.
  const services = [...new Set(spans.map((s) => s.service))].sort();
  assert.deepEqual(services, ['otel-frontend', 'otel-ledger', 'otel-payments']);
  const failed = spans.filter((s) => s.status === 'ERROR');
  assert.equal(failed.length, 1);
  const withEvents = spans.filter((s) => s.annotations.length > 0);
  assert.ok(withEvents.length >= 2, 'events on more than one span');
  // Zipkin lower-cases span names; Lens labels a row "service: name".
  const label = (s: BrowserSpan): string => `${s.service}: ${s.name.toLowerCase()}`;

  await waitFor(`the ${spans.length} OTLP spans in the index`, async () => (await countTrace(traceId)) >= spans.length, 60_000, 500);

  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  try {
    await page.goto(`${reader.url}/zipkin/?serviceName=otel-ledger&lookback=1h&limit=100`);
    await page.getByRole('button', { name: /run query/i }).click();
    await waitFor('the search for otel-ledger to list the trace', async () => (await page.content()).includes(traceId), 60_000, 500);

    await page.goto(`${reader.url}/zipkin/traces/${traceId}`);
    await waitFor('the trace page to list every span', async () => (await rowLabels(page)).length >= spans.length, 60_000, 500);
    // biome-ignore lint/performance/useDomNodeTextContent: the rendered text keeps the header's cells apart
    const header = await page.locator('body').innerText();
    assert.equal(/services\s*(\d+)/i.exec(header)?.[1], '3', `service count in the trace header:\n${header.slice(0, 400)}`);
    assert.equal(/total\s*spans\s*(\d+)/i.exec(header)?.[1], String(spans.length), 'span count in the trace header');
    assert.deepEqual((await rowLabels(page)).sort(), spans.map(label).sort(), 'one timeline row per SDK span');
    const root = spans.find((s) => s.parent_id === null) as BrowserSpan;
    assert.equal((await page.locator('h6').first().textContent())?.trim(), label(root), 'the trace is titled by its root span');
    // Lens draws an error icon in the row of each span tagged `error`.
    const errorRows = await page.$$eval('svg.MuiSvgIcon-colorError', (icons) => icons.map((i) => i.parentElement?.textContent ?? ''));
    assert.deepEqual(errorRows, failed.map(label), 'the error marker is on the span with ERROR status, only');

    for (const s of [...failed, ...withEvents]) {
      await rows(page, label(s)).click();
      await waitFor(`the detail of ${label(s)}`, async () => (await detail(page)).includes(s.id), 15_000, 250);
      const text = await detail(page);
      for (const a of s.annotations) assert.ok(text.includes(a), `annotation ${a} of ${label(s)}:\n${text}`);
      if (s.status === 'ERROR') {
        assert.match(text, new RegExp(`\\berror\\s+${s.status_message}\\n`), `error tag of ${label(s)}`);
        assert.match(text, /otel\.status_code\s+ERROR\n/);
      }
      // The client/server pair: the server's parent is the other service's client span.
      const parent = spans.find((p) => p.id === s.parent_id);
      if (s.kind === 'SERVER' && parent !== undefined) {
        assert.equal(parent.kind, 'CLIENT');
        assert.notEqual(parent.service, s.service);
        assert.match(text, new RegExp(`Parent ID\\s+${parent.id}\\b`), `parent of ${label(s)}`);
      }
    }
    await shot(page, 'otlp-trace');
  } catch (err) {
    await shot(page, 'otlp-trace-failed');
    throw err;
  } finally {
    await page.close();
  }
});

test('the Zipkin UI over tracefold indices: search by service, open a trace, dependencies page', { timeout: 240_000 }, async () => {
  // Drain tracefold: its windows flush and the dependency windows are written.
  assert.ok(tracefold, 'tracefold runs');
  tracefold.child.kill('SIGTERM');
  assert.equal(await tracefold.exited, 0, `tracefold exits cleanly (log ${tracefold.logFile})`);
  assert.ok((await countDocs(`${prefix}-dependency-*`)) > 0, 'dependency documents written');

  // The trace with most spans and a named root service.
  const trace = [...sent]
    .filter((t) => t.some((s) => s.parentId === undefined && s.localEndpoint?.serviceName))
    .sort((a, b) => b.length - a.length)[0] as Span[];
  const root = trace.find((s) => s.parentId === undefined) as Span;
  const service = root.localEndpoint?.serviceName as string;
  const traceId = root.traceId;
  await waitFor(
    `Zipkin to serve trace ${traceId}`,
    async () => (await fetch(`${reader.url}/api/v2/trace/${traceId}`)).status === 200,
    30_000,
  );
  const stored = (await zipkinGet<unknown[]>(reader.url, `/api/v2/trace/${traceId}`)) ?? [];

  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  await page.goto(`${reader.url}/zipkin/?serviceName=${encodeURIComponent(service)}&lookback=1h&limit=100`);
  await page.getByRole('button', { name: /run query/i }).click();
  await waitFor(
    `the search for ${service} to list trace ${traceId}`,
    async () => (await page.content()).includes(traceId),
    60_000,
    500,
  ).catch(async (err: unknown) => {
    await shot(page, 'zipkin-search-failed');
    throw err;
  });
  await shot(page, 'zipkin-search');

  await page.goto(`${reader.url}/zipkin/traces/${traceId}`);
  await waitFor('the trace page to load', async () => (await page.locator('body').innerText()).includes(service), 60_000, 500);
  const text = await page.locator('body').innerText();
  // Lens's trace header: "... Total Spans 50 ..." (label and value in separate cells).
  const m = /total\s*spans\D{0,12}(\d+)/i.exec(text);
  assert.ok(m, `the trace page states a span count:\n${text.slice(0, 800)}`);
  // Lens merges what /api/v2/trace returns per span ID (pieces, and a client with its shared
  // server), so it counts distinct span IDs.
  const distinct = new Set((stored as { id: string }[]).map((s) => s.id)).size;
  assert.ok(distinct < stored.length, 'the trace has merged spans, so the count is meaningful');
  assert.equal(Number(m[1]), distinct, `span count on the trace page (${stored.length} stored spans):\n${text.slice(0, 400)}`);
  await shot(page, 'zipkin-trace');

  const deps =
    (await zipkinGet<{ parent: string; child: string }[]>(reader.url, `/api/v2/dependencies?endTs=${Date.now()}&lookback=7200000`)) ?? [];
  assert.ok(deps.length > 0, 'Zipkin reads dependency links from tracefold');
  await page.goto(`${reader.url}/zipkin/dependency`);
  const run = page.getByRole('button', { name: /run query|search/i });
  if ((await run.count()) > 0) await run.first().click();
  const names = [...new Set(deps.flatMap((d) => [d.parent, d.child]))].sort();
  // The graph is drawn on a canvas; the Filter list beside it names every node drawn.
  await page.getByLabel('Filter').click({ timeout: 15_000 });
  await waitFor(
    'the dependencies page to list every service of the links',
    async () => {
      const text = await page.locator('body').innerText();
      return names.every((n) => text.includes(n));
    },
    30_000,
    500,
  ).catch(async (err: unknown) => {
    await shot(page, 'zipkin-dependencies-failed');
    console.log((await page.locator('body').innerText()).slice(0, 1500));
    throw err;
  });
  await shot(page, 'zipkin-dependencies');
  await page.close();
});
