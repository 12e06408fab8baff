/**
 * `tracefold ship` end to end against the shared broker: lines in several shapes (v2 span, v2 array,
 * v1 array) and one bad line; a rename rotation (the writer keeps appending to the renamed file for
 * a moment, as a process does until it reopens its log); a copy-truncate rotation; a stop and a
 * restart that resumes from the saved positions. With clean stops every span arrives exactly once,
 * each trace in one partition, keyed by its trace ID; the bad line is in the dead-letter topic with
 * its file and offset.
 */
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Span } from '../../../core/model/span.js';
import { ensureTopics } from '../../../src/kafka/admin.js';
import { assertIdentity, compareIdentities, expectedIdentities } from '../../helpers/identity.js';
import { readAllPartitions } from '../../helpers/kafka.js';
import { KAFKA, uniqueName } from '../../helpers/servers.js';
import { shippedSpans, traceLines } from '../../helpers/ship.js';
import { freePort, metric, type Running, startTracefold, waitFor } from '../../helpers/tracefold.js';
import { syntheticTraces } from '../../helpers/traffic.js';

const PARTITIONS = 3;
const dir = mkdtempSync(join(tmpdir(), 'tf-ship-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('ship: shapes, bad line, rename and copy-truncate rotation, restart resume: every span once, traces whole', {
  timeout: 300_000,
}, async () => {
  const topic = uniqueName('tf-ship');
  const dlq = `${topic}.dead-letter`;
  await ensureTopics(KAFKA, [
    { topic, partitions: PARTITIONS },
    { topic: dlq, partitions: 1 },
  ]);
  const log = join(dir, 'app.log');
  const written: Span[][] = [];
  let n = 0;
  const write = (file: string, copies: number, seed: number): number => {
    const traces = syntheticTraces(copies, seed);
    written.push(...traces);
    const lines = traces.flatMap((t) => traceLines(t, n++));
    appendFileSync(file, `${lines.join('\n')}\n`);
    return traces.reduce((sum, t) => sum + t.length, 0);
  };
  let expectedSpans = 0;
  const admin = await freePort();
  const start = (name: string): Running =>
    startTracefold(
      [
        'ship',
        '--path',
        `${dir}/app.log*`,
        '--topic',
        topic,
        '--kafka-bootstrap-servers',
        KAFKA,
        '--position-file',
        join(dir, 'positions.json'),
        '--admin-port',
        String(admin),
        '--ship-poll-interval-ms',
        '50ms',
        '--ship-position-flush-ms',
        '100ms',
      ],
      {},
      name,
    );
  const shipped = (): Promise<number> => metric(admin, 'tracefold_ship_spans_shipped_total');
  const waitShipped = (total: number): Promise<void> =>
    waitFor(`${total} spans shipped`, async () => (await shipped()) >= total, 60_000, 100);

  let tf = start(`${topic}-1`);
  try {
    expectedSpans += write(log, 2, 1);
    appendFileSync(log, 'this is not a span\n');
    await waitShipped(expectedSpans);
    assert.equal(await metric(admin, 'tracefold_ship_dead_letters_total'), 1);

    // Rename rotation: the writer still appends to the old file, then a new one starts.
    renameSync(log, `${log}.1`);
    expectedSpans += write(`${log}.1`, 1, 2);
    expectedSpans += write(log, 1, 3);
    await waitShipped(expectedSpans);

    // Copy-truncate: lines written just before the copy are read from the copy if not from the original.
    expectedSpans += write(log, 1, 4);
    copyFileSync(log, `${log}.2`);
    truncateSync(log, 0);
    expectedSpans += write(log, 1, 5);
    await waitShipped(expectedSpans);
    assert.ok((await metric(admin, 'tracefold_ship_truncations_total')) >= 1, 'the truncation was seen');
    assert.ok(!Number.isNaN(await metric(admin, 'tracefold_ship_bytes_behind', { path: log })), 'bytes behind per file');

    // Stop, write while stopped, restart: resumes from the saved positions.
    tf.child.kill('SIGTERM');
    assert.equal(await tf.exited, 0, `clean exit (log ${tf.logFile})`);
    const before = expectedSpans;
    expectedSpans += write(log, 1, 6);
    expectedSpans += write(`${log}.1`, 1, 7);
    tf = start(`${topic}-2`);
    // The new process counts from 0.
    await waitShipped(expectedSpans - before);
    tf.child.kill('SIGTERM');
    assert.equal(await tf.exited, 0, `clean exit (log ${tf.logFile})`);

    const got = shippedSpans(await readAllPartitions(topic, PARTITIONS));
    assertIdentity(compareIdentities('ship with rotations and a restart', expectedIdentities(written), got.spans));
    assert.deepEqual(got.splitTraces, [], 'every trace in one partition');
    assert.equal(got.badKeys, 0, 'keyed by the lower 64 bits of the trace ID');

    const dead = await readAllPartitions(dlq, 1);
    assert.equal(dead.length, 1);
    assert.equal(dead[0]?.value.toString(), 'this is not a span');
    assert.equal(dead[0]?.headers['tracefold-file'], log);
    assert.match(dead[0]?.headers['tracefold-offset'] ?? '', /^\d+$/);
    assert.ok((dead[0]?.headers['tracefold-reason'] ?? '').length > 0);
  } finally {
    tf.child.kill('SIGKILL');
  }
});

test('ship: --help from the schema; an unreadable --path fails at start with TF_INPUT, exit 2', async () => {
  const help = startTracefold(['ship', '--help'], {}, 'ship-help');
  assert.equal(await help.exited, 0);
  const text = readFileSync(help.logFile, 'utf8');
  for (const flag of ['--path', '--position-file', '--compression', '--ship-max-in-flight-bytes', '--kafka-property', '--admin-port']) {
    assert.ok(text.includes(flag), `--help lists ${flag}`);
  }
  const bad = startTracefold(['ship', '--path', join(dir, 'missing', '*.log'), '--topic', 't', '--admin-port', '0'], {}, 'ship-unreadable');
  assert.equal(await bad.exited, 2);
  assert.match(readFileSync(bad.logFile, 'utf8'), /cannot read directory .*missing.*\[TF_INPUT\]/);
});
