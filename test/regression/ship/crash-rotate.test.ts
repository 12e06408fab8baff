/**
 * The acceptance run of `tracefold ship`: a writer appends 100,000 spans to span logs with rotations
 * of both kinds (rename, copy-truncate) while the shipper is SIGKILLed twice and restarted, and the
 * Kafka broker (the test's own, on other ports) is restarted once. Judged by span identity: every
 * span arrives, all spans of a trace in one partition; duplicates are counted and must fit in the
 * unacknowledged windows of the kills — for each kill, the spans between the saved position of every
 * file and its end at that moment (what a restart may read again).
 */
import assert from 'node:assert/strict';
import {
  appendFileSync,
  closeSync,
  copyFileSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Span } from '../../../core/model/span.js';
import { ensureTopics } from '../../../src/kafka/admin.js';
import { fingerprint } from '../../../src/ship/fingerprint.js';
import { compareIdentities, expectedIdentities, formatReport } from '../../helpers/identity.js';
import { readAllPartitions } from '../../helpers/kafka.js';
import { OwnKafka } from '../../helpers/own-kafka.js';
import { uniqueName } from '../../helpers/servers.js';
import { shippedSpans, traceLines } from '../../helpers/ship.js';
import { freePort, metric, type Running, startTracefold, waitFor } from '../../helpers/tracefold.js';
import { syntheticTraces } from '../../helpers/traffic.js';

const PARTITIONS = 3;
const TARGET_SPANS = 100_000;
const KILL_ROUNDS = new Set([20, 55]);
const BROKER_RESTART_ROUND = 38;
const broker = new OwnKafka(Number(process.env.TF_SHIP_KAFKA_PORT ?? 19496));
const dir = mkdtempSync(join(tmpdir(), 'tf-ship-crash-'));

before(() => broker.up());
after(() => {
  broker.destroy();
  rmSync(dir, { recursive: true, force: true });
});

/** Spans on the lines of `file` from byte `from` to its end. */
function spansFrom(file: string, from: number): number {
  const text = readFileSync(file).subarray(from).toString('utf8');
  let spans = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const v = JSON.parse(line) as unknown;
    spans += Array.isArray(v) ? v.length : 1;
  }
  return spans;
}

/** What a restart may read again: per file, the spans past the saved position of its fingerprint. */
function unacknowledgedWindow(positionFile: string): number {
  let saved = new Map<string, number>();
  try {
    const table = JSON.parse(readFileSync(positionFile, 'utf8')) as Array<{ id: string; offset: number }>;
    saved = new Map(table.map((p) => [p.id, p.offset]));
  } catch {
    // none saved yet: every byte is in the window
  }
  let spans = 0;
  for (const name of readdirSync(dir)) {
    if (!name.startsWith('app.log')) continue;
    const file = join(dir, name);
    const fd = openSync(file, 'r');
    const id = fingerprint(fd, statSync(file).size);
    closeSync(fd);
    spans += spansFrom(file, id === undefined ? 0 : (saved.get(id) ?? 0));
  }
  return spans;
}

test('ship: 100,000 spans, rotations of both kinds, two SIGKILLs, a broker restart: every span arrives, duplicates within the unacknowledged windows', {
  timeout: 600_000,
}, async () => {
  const kafka = broker.bootstrap;
  const topic = uniqueName('tf-ship-crash');
  await ensureTopics(kafka, [
    { topic, partitions: PARTITIONS },
    { topic: `${topic}.dead-letter`, partitions: 1 },
  ]);
  const log = join(dir, 'app.log');
  const positions = join(dir, 'positions.json');
  const admin = await freePort();
  const start = (life: number): Running =>
    startTracefold(
      [
        'ship',
        '--path',
        `${log}*`,
        '--topic',
        topic,
        '--kafka-bootstrap-servers',
        kafka,
        '--position-file',
        positions,
        '--admin-port',
        String(admin),
        '--ship-poll-interval-ms',
        '50ms',
        '--ship-position-flush-ms',
        '200ms',
        '--ship-max-in-flight-bytes',
        '2MiB',
        '--compression',
        life % 2 === 0 ? 'zstd' : 'lz4',
      ],
      {},
      `${topic}-${life}`,
    );

  const written: Span[][] = [];
  let spans = 0;
  let traceNo = 0;
  let round = 0;
  const writeRound = (): void => {
    const traces = syntheticTraces(1, 1000 + round);
    written.push(...traces);
    appendFileSync(log, `${traces.flatMap((t) => traceLines(t, traceNo++)).join('\n')}\n`);
    spans += traces.reduce((sum, t) => sum + t.length, 0);
    round++;
  };

  let life = 0;
  let tf = start(life);
  let window = 0;
  let renames = 0;
  let copyTruncates = 0;
  const t0 = Date.now();
  try {
    let restartAt = -1;
    while (spans < TARGET_SPANS) {
      writeRound();
      if (round % 10 === 4) {
        renameSync(log, `${log}.r${round}`);
        renames++;
      } else if (round % 10 === 9) {
        copyFileSync(log, `${log}.c${round}`);
        truncateSync(log, 0);
        copyTruncates++;
      }
      if (KILL_ROUNDS.has(round)) {
        // The saved positions first: the shipper can only save more before the kill, never less.
        window += unacknowledgedWindow(positions);
        tf.child.kill('SIGKILL');
        await tf.exited;
        restartAt = round + 2;
      }
      if (round === restartAt) tf = start(++life);
      if (round === BROKER_RESTART_ROUND) {
        broker.down();
        for (let i = 0; i < 3; i++) writeRound();
        broker.up();
      }
      await sleep(100);
    }
    process.stdout.write(
      `[ship-crash] wrote ${spans} spans in ${round} rounds (${renames} renames, ${copyTruncates} copy-truncates) in ${Date.now() - t0} ms\n`,
    );
    await waitFor(
      'every file shipped to its end',
      async () =>
        (await metric(admin, 'tracefold_ship_bytes_behind')) === 0 && (await metric(admin, 'tracefold_ship_in_flight_bytes')) === 0,
      120_000,
      250,
    );
    tf.child.kill('SIGTERM');
    assert.equal(await tf.exited, 0, `clean exit (log ${tf.logFile})`);

    const got = shippedSpans(await readAllPartitions(topic, PARTITIONS, kafka));
    const expected = expectedIdentities(written);
    const report = compareIdentities('ship crash/rotate/broker restart', expected, got.spans);
    process.stdout.write(`${formatReport(report)}\n`);
    let duplicates = 0;
    for (const [k, n] of got.spans) duplicates += Math.max(0, n - (expected.get(k) ?? 0));
    process.stdout.write(
      `[ship-crash] ${got.messages} messages; duplicate spans ${duplicates}, unacknowledged windows at the kills ${window} spans\n`,
    );
    assert.deepEqual(report.missing.slice(0, 20), [], 'no span missing');
    assert.deepEqual(report.extra.slice(0, 20), [], 'nothing extra');
    assert.ok(duplicates <= window, `duplicates (${duplicates}) within the unacknowledged windows (${window})`);
    assert.deepEqual(got.splitTraces, [], 'every trace in one partition');
    assert.equal(got.badKeys, 0);
    assert.equal((await readAllPartitions(`${topic}.dead-letter`, 1, kafka)).length, 0, 'no line dead-lettered');
    assert.ok(spans >= TARGET_SPANS);
  } finally {
    tf.child.kill('SIGKILL');
  }
});
