/**
 * A running `tracefold ingest` takes a changed sampling rate from its config file without a
 * restart, refuses a broken file (keeping the rate in force), and shows the configuration in force
 * on the admin port. Judged by what reaches the search engine: traces produced under rate 0 are
 * not stored, traces produced after the change to rate 1 are.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Span } from '../../../core/model/span.js';
import { deleteTopic, ensureTopics } from '../../../src/kafka/admin.js';
import { produceTraces } from '../../helpers/kafka.js';
import { createPrng } from '../../helpers/prng.js';
import { deleteIndices, storedSpanKeys } from '../../helpers/search.js';
import { KAFKA, requireSearchEngine, SEARCH, uniqueName } from '../../helpers/servers.js';
import { metric, type Running, searchEnv, startTracefold, waitFor } from '../../helpers/tracefold.js';
import { copyTrace, sharedTraces } from '../../helpers/traffic.js';

const ADMIN_PORT = 19471;
const topic = uniqueName('tf-reload');
const index = uniqueName('tfreload');
const dir = mkdtempSync(join(tmpdir(), 'tf-reload-'));
const file = join(dir, 'tracefold.yaml');
const prng = createPrng(17);
const base = sharedTraces().filter((t) => t.spans.length < 50);
let tf: Running | undefined;

const config = (rate: number): string => `sample:\n  policies:\n    - type: probabilistic\n      name: base\n      rate: ${rate}\n`;
const traces = (n: number): Span[][] =>
  Array.from({ length: n }, (_, i) => copyTrace((base[i % base.length] as { spans: Span[] }).spans, prng, 0));

async function storedTraceIds(): Promise<Set<string>> {
  await fetch(`${SEARCH}/${index}*/_refresh`, { method: 'POST' });
  return new Set([...(await storedSpanKeys(`${index}-span-*`)).keys()].map((k) => k.split('/')[0] as string));
}

before(async () => {
  await requireSearchEngine();
  await ensureTopics(KAFKA, [{ topic, partitions: 2 }]);
});

after(async () => {
  tf?.child.kill('SIGTERM');
  await tf?.exited;
  await deleteTopic(KAFKA, topic).catch(() => undefined);
  await deleteIndices(`${index}*`);
  rmSync(dir, { recursive: true, force: true });
});

test('a changed sampling rate applies without a restart; a broken file is refused and the old rate stays', {
  timeout: 180_000,
}, async () => {
  writeFileSync(file, config(0));
  tf = startTracefold(
    [
      'ingest',
      '--config',
      file,
      '--workers',
      '2',
      '--admin-port',
      String(ADMIN_PORT),
      '--window-quiet-ms',
      '300ms',
      '--kafka-commit-interval-ms',
      '500ms',
    ],
    {
      KAFKA_BOOTSTRAP_SERVERS: KAFKA,
      KAFKA_TOPIC: topic,
      KAFKA_GROUP_ID: uniqueName('g'),
      ...searchEnv(index),
    },
    index,
  );
  await waitFor(
    'the admin endpoint',
    async () => (await fetch(`http://127.0.0.1:${ADMIN_PORT}/health`).catch(() => undefined))?.ok === true,
    60_000,
  );
  const view = (await (await fetch(`http://127.0.0.1:${ADMIN_PORT}/config`)).json()) as { sample: { policies: Array<{ rate: number }> } };
  assert.equal(view.sample.policies[0]?.rate, 0, '/config shows the configuration in force');

  // Rate 0: every trace is decided and dropped (counted), none stored.
  const first = traces(20);
  await produceTraces(topic, first);
  await waitFor(
    '20 traces sampled out',
    async () => (await metric(ADMIN_PORT, 'tracefold_sampling_decisions_total', { policy: 'sampled_out' })) >= 20,
    60_000,
  );

  writeFileSync(file, config(1));
  await waitFor(
    'the reload to apply',
    async () => (await metric(ADMIN_PORT, 'tracefold_config_reloads_total', { result: 'applied' })) >= 1,
    30_000,
  );
  const view2 = (await (await fetch(`http://127.0.0.1:${ADMIN_PORT}/config`)).json()) as { sample: { policies: Array<{ rate: number }> } };
  assert.equal(view2.sample.policies[0]?.rate, 1);

  const second = traces(20);
  await produceTraces(topic, second);
  await waitFor(
    'the second traces stored',
    async () => {
      const ids = await storedTraceIds();
      return second.every((t) => ids.has((t[0] as Span).traceId));
    },
    60_000,
  );

  // A broken file: refused with its errors, the running rate (1) stays.
  writeFileSync(file, 'sample:\n  policies:\n    - type: probabilistic\n      rate: 7\n');
  await waitFor(
    'the broken file to be refused',
    async () => (await metric(ADMIN_PORT, 'tracefold_config_reloads_total', { result: 'refused' })) >= 1,
    30_000,
  );
  const third = traces(20);
  await produceTraces(topic, third);
  await waitFor(
    'the third traces stored under the rate still in force',
    async () => {
      const ids = await storedTraceIds();
      return third.every((t) => ids.has((t[0] as Span).traceId));
    },
    60_000,
  );

  const ids = await storedTraceIds();
  assert.ok(
    first.every((t) => !ids.has((t[0] as Span).traceId)),
    'nothing sampled out under rate 0 was stored',
  );
  const view3 = (await (await fetch(`http://127.0.0.1:${ADMIN_PORT}/config`)).json()) as { sample: { policies: Array<{ rate: number }> } };
  assert.equal(view3.sample.policies[0]?.rate, 1, 'the refused file changed nothing');
});
