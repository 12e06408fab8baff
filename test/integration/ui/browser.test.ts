/**
 * Browser tests with Debian's Chromium driven by playwright-core (never a downloaded browser):
 * tracefold's status page updates while traffic flows and draws the service graph; the stock
 * Zipkin UI, reading tracefold's indices, finds a service's traces, opens one, and shows the
 * dependency links tracefold wrote. Screenshots go to .tracefold/screenshots/ (path printed).
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
import { createPrng } from '../../helpers/prng.js';
import { countDocs, deleteIndices } from '../../helpers/search.js';
import { KAFKA, OPENSEARCH, requireHttp, uniqueName } from '../../helpers/servers.js';
import { type Running, startTracefold, waitFor } from '../../helpers/tracefold.js';

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

async function shot(page: Page, name: string): Promise<void> {
  const path = join(SHOTS, `${prefix}-${name}.png`);
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot: ${path}`);
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
  tracefold = startTracefold(
    ['ingest', '--workers', '2', '--admin-port', String(ADMIN_PORT), '--window-quiet-ms', '1s'],
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
  const stored = (await (await fetch(`${reader.url}/api/v2/trace/${traceId}`)).json()) as unknown[];

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

  const deps = (await (await fetch(`${reader.url}/api/v2/dependencies?endTs=${Date.now()}&lookback=7200000`)).json()) as {
    parent: string;
    child: string;
  }[];
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
