/**
 * Issue #11's acceptance for ingest-time sampling: 100,000 traces made from the shared real traces
 * (95 % repeating a few shapes, 2 % with errors, 1 % slow outliers, a tail of rare shapes), read
 * from Kafka by `tracefold replay` with the shipped example config (config/recommended.yaml), and
 * judged through the stock Zipkin server's API: every error and slow trace stored, every shape
 * stored at least once, stored spans ≤ 15 % of input spans, and every stored span says which policy
 * kept it.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { checkSampling } from '../../../bench/sampling-check.js';
import { samplingWorkload } from '../../../bench/workload.js';
import { REPO_ROOT } from '../../../infra/config.js';
import { type ServerHandle, startZipkin } from '../../../infra/index.js';
import { deleteTopic, ensureTopics } from '../../../src/kafka/admin.js';
import { type ReplaySummary, sumOf } from '../../../src/replay/summary.js';
import { produceTraces } from '../../helpers/kafka.js';
import { deleteIndices } from '../../helpers/search.js';
import { KAFKA, OPENSEARCH, requireHttp, uniqueName } from '../../helpers/servers.js';
import { startTracefold } from '../../helpers/tracefold.js';

const TRACES = Number(process.env.TF_SAMPLING_TRACES ?? 100_000);
const topic = uniqueName('tf-sampling');
const prefix = uniqueName('tfsampling');
let zipkin: ServerHandle;

before(async () => {
  await requireHttp(OPENSEARCH, 'OpenSearch');
  await ensureTopics(KAFKA, [{ topic, partitions: 4 }]);
  zipkin = await startZipkin({ name: 'zipkin-sampling', port: 19461, esIndex: prefix });
});

after(async () => {
  await zipkin?.stop();
  await deleteTopic(KAFKA, topic).catch(() => undefined);
  await deleteIndices(`${prefix}*`);
});

test('the example sampling config keeps every error, slow and rare trace and ≤ 15 % of spans', { timeout: 900_000 }, async () => {
  const startMs = Date.now();
  const workload = samplingWorkload({ traces: TRACES, seed: 5 });
  // Real reporters batch a few spans per message, unkeyed: one trace's spans reach several partitions.
  await produceTraces(
    topic,
    workload.map((t) => t.spans),
    5,
  );
  const run = startTracefold(
    [
      'replay',
      '--json',
      '--topic',
      topic,
      '--from',
      'earliest',
      '--to',
      'latest',
      '--workers',
      '2',
      '--config',
      join(REPO_ROOT, 'config', 'recommended.yaml'),
      '--es-index-prefix',
      prefix,
    ],
    { KAFKA_BOOTSTRAP_SERVERS: KAFKA, ES_HOSTS: OPENSEARCH, ES_INDEX_REPLICAS: '0', ES_INDEX_SHARDS: '1' },
    `${prefix}-replay`,
  );
  let stdout = '';
  run.child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  const code = await run.exited;
  assert.equal(code, 0, `replay exited ${code} (log ${run.logFile})`);
  const summary = JSON.parse(stdout.trim().split('\n').pop() ?? '') as ReplaySummary;
  await fetch(`${OPENSEARCH}/${prefix}*/_refresh`, { method: 'POST' });
  const outcome = await checkSampling(zipkin.url, workload, Date.now() + 60_000, Date.now() - startMs + 3_600_000);
  console.log(
    `sampling: ${outcome.traces} traces, ${outcome.inputSpans} spans in; stored ${outcome.storedTraces} traces, ${outcome.storedSpans} spans ` +
      `(${(outcome.storedFraction * 100).toFixed(1)} %); errors ${outcome.byClass.error.stored}/${outcome.byClass.error.total}, ` +
      `slow ${outcome.byClass.slow.stored}/${outcome.byClass.slow.total}, shapes ${outcome.shapes.stored}/${outcome.shapes.total}; ` +
      `by policy ${JSON.stringify(outcome.byPolicy)}; replay: ${summary.lateSpans} late spans (arrived after their trace was decided), ` +
      `${summary.durationMs} ms`,
  );
  assert.deepEqual(outcome.lost, [], 'every error and slow trace is stored');
  assert.equal(outcome.byClass.error.stored, outcome.byClass.error.total);
  assert.equal(outcome.byClass.slow.stored, outcome.byClass.slow.total);
  assert.deepEqual(outcome.shapes.missing, [], 'every shape is stored at least once');
  assert.ok(outcome.storedFraction <= 0.15, `stored ${(outcome.storedFraction * 100).toFixed(1)} % of input spans`);
  assert.ok(outcome.storedFraction > 0, 'something was stored');
  assert.equal(outcome.untagged, 0, 'every stored span names the policy that kept it');
  // The replay's own report agrees with what the stock server reads.
  assert.equal(summary.written, outcome.storedSpans, 'summary: written spans');
  assert.equal(sumOf(summary.kept) + summary.sampledOut, outcome.inputSpans, 'summary: every span kept or sampled out');
  assert.ok(summary.sampledOut > 0 && summary.sampledOut < outcome.inputSpans, `summary: sampled out ${summary.sampledOut}`);
});
