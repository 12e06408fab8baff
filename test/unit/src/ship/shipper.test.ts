import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { TracefoldError } from '../../../../core/errors.js';
import type { OutgoingRecord } from '../../../../src/kafka/producer.js';
import { ShipMetrics } from '../../../../src/ship/metrics.js';
import { type Sender, Shipper, type ShipSettings } from '../../../../src/ship/shipper.js';
import { until } from '../../../helpers/wait.js';

/** A Kafka stand-in: records every send; while `down`, holds deliveries (or fails them) until released. */
class FakeKafka implements Sender {
  readonly delivered: OutgoingRecord[] = [];
  readonly held: Array<{ rec: OutgoingRecord; ok: () => void; fail: (e: Error) => void }> = [];
  down = false;
  failNext = 0;

  send(rec: OutgoingRecord): Promise<number> {
    return new Promise((resolve, reject) => {
      if (this.failNext > 0) {
        this.failNext--;
        setImmediate(() => reject(new Error('broker transport failure')));
        return;
      }
      const ok = (): void => {
        this.delivered.push(rec);
        resolve(this.delivered.length);
      };
      if (this.down) this.held.push({ rec, ok, fail: reject });
      else setImmediate(ok);
    });
  }

  release(): void {
    this.down = false;
    for (const h of this.held.splice(0)) h.ok();
  }

  spanIds(): string[] {
    return this.delivered
      .filter((r) => r.topic === 'spans')
      .flatMap((r) => (JSON.parse(r.value.toString()) as Array<{ id: string }>).map((s) => s.id));
  }
}

const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');
const span = (trace: number, id: number): string =>
  JSON.stringify({
    traceId: hex(trace, 16),
    id: hex(id, 16),
    name: 'op',
    timestamp: 1_700_000_000_000_000 + id,
    duration: 5,
    localEndpoint: { serviceName: 'svc' },
  });

let dir: string;
let shipper: Shipper | undefined;
let nextId = 1;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tf-shipper-'));
});
afterEach(async () => {
  await shipper?.stop(0);
  shipper = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function settings(over: Partial<ShipSettings> = {}): ShipSettings {
  return {
    globs: [join(dir, 'app.log*')],
    topic: 'spans',
    deadLetterTopic: 'spans.dead-letter',
    positionFile: join(dir, 'pos.json'),
    pollIntervalMs: 5,
    readBytes: 4096,
    maxInFlightBytes: 16_384,
    positionFlushMs: 5,
    ...over,
  };
}

/** Appends `n` single-span lines, two spans per trace; returns their span ids. */
function write(file: string, n: number): string[] {
  const ids: string[] = [];
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = nextId++;
    ids.push(hex(id, 16));
    lines.push(span(Math.ceil(id / 2), id));
  }
  appendFileSync(file, `${lines.join('\n')}\n`);
  return ids;
}

function run(kafka: FakeKafka, over: Partial<ShipSettings> = {}): Shipper {
  shipper = new Shipper(settings(over), kafka, pino({ level: 'silent' }), new ShipMetrics());
  shipper.start();
  return shipper;
}

describe('ship Shipper (fake Kafka)', () => {
  it('keys messages by trace, dead-letters a bad line with file and offset', async () => {
    const kafka = new FakeKafka();
    const log = join(dir, 'app.log');
    const ids = write(log, 10);
    appendFileSync(log, 'garbage\n');
    run(kafka);
    await until('all shipped', () => kafka.spanIds().length === 10 && kafka.delivered.some((r) => r.topic === 'spans.dead-letter'), 5_000);
    assert.deepEqual(kafka.spanIds().sort(), ids.sort());
    for (const r of kafka.delivered.filter((x) => x.topic === 'spans')) {
      const spans = JSON.parse(r.value.toString()) as Array<{ traceId: string }>;
      assert.ok(spans.every((s) => s.traceId === r.key));
    }
    const dead = kafka.delivered.find((r) => r.topic === 'spans.dead-letter');
    assert.equal(dead?.headers?.['tracefold-file'], log);
    assert.equal(dead?.headers?.['tracefold-offset'], String(readFileSync(log).indexOf('garbage')));
  });

  it('Kafka down: stops reading at the in-flight bound, saves no position past unacknowledged bytes, loses nothing when back', async () => {
    const kafka = new FakeKafka();
    kafka.down = true;
    const log = join(dir, 'app.log');
    const ids = write(log, 2000);
    const s = run(kafka);
    await until('paused', () => s.backpressured, 5_000);
    const read = s.inFlightBytes;
    assert.ok(read >= 16_384 && read < 16_384 + 4096, `in flight ${read}`);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(s.inFlightBytes, read, 'no reading while paused');
    assert.throws(() => readFileSync(join(dir, 'pos.json')), /ENOENT/, 'nothing acknowledged, nothing saved');
    kafka.release();
    await until('all shipped', () => kafka.spanIds().length === ids.length, 10_000);
    assert.deepEqual(new Set(kafka.spanIds()), new Set(ids));
  });

  it('a line longer than one read is dead-lettered once (cut), the lines after it are shipped', async () => {
    const kafka = new FakeKafka();
    const log = join(dir, 'app.log');
    const before = write(log, 3);
    appendFileSync(log, `[${Array.from({ length: 100 }, (_, i) => span(9999, 100_000 + i)).join(',')}]\n`);
    const after = write(log, 3);
    run(kafka);
    await until('shipped', () => kafka.spanIds().length === 6, 5_000);
    await new Promise((r) => setTimeout(r, 30));
    const dead = kafka.delivered.filter((r) => r.topic === 'spans.dead-letter');
    assert.equal(dead.length, 1);
    assert.equal(dead[0]?.headers?.['tracefold-code'], 'oversized');
    assert.deepEqual(kafka.spanIds().sort(), [...before, ...after].sort());
  });

  it('a file renamed out of the globs is still read while its writer appends to it', async () => {
    const kafka = new FakeKafka();
    const log = join(dir, 'app.log');
    const ids = write(log, 5);
    run(kafka, { globs: [log] });
    await until('first', () => kafka.spanIds().length === 5, 5_000);
    renameSync(log, join(dir, 'old.log'));
    await new Promise((r) => setTimeout(r, 100));
    ids.push(...write(join(dir, 'old.log'), 3), ...write(log, 2));
    await until('all', () => kafka.spanIds().length === 10, 5_000);
    assert.deepEqual(kafka.spanIds().sort(), ids.sort());
  });

  it('copy-truncate rewritten to exactly the size already read is still seen (by content, not size)', async () => {
    const kafka = new FakeKafka();
    const log = join(dir, 'app.log');
    const ids = write(log, 20);
    run(kafka);
    await until('first', () => kafka.spanIds().length === 20, 5_000);
    const size = statSync(log).size;
    copyFileSync(log, `${log}.1`);
    truncateSync(log, 0);
    ids.push(...write(log, 20));
    assert.equal(statSync(log).size, size, 'same size as what was read');
    await until('all', () => kafka.spanIds().length === 40, 5_000);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(kafka.spanIds().sort(), ids.sort());
  });

  it('a failed delivery is retried, not dropped', async () => {
    const kafka = new FakeKafka();
    kafka.failNext = 3;
    const ids = write(join(dir, 'app.log'), 5);
    run(kafka);
    await until('all shipped', () => kafka.spanIds().length === 5, 10_000);
    assert.deepEqual(kafka.spanIds().sort(), ids.sort());
  });

  it('rename and copy-truncate rotations, then a restart from saved positions: every span exactly once', async () => {
    const kafka = new FakeKafka();
    const log = join(dir, 'app.log');
    const ids = write(log, 50);
    let s = run(kafka);
    await until('first', () => kafka.spanIds().length === 50, 5_000);
    renameSync(log, `${log}.1`);
    ids.push(...write(`${log}.1`, 20), ...write(log, 30));
    await until('after rename', () => kafka.spanIds().length === 100, 5_000);
    // Copy-truncate with lines the shipper has not read yet: Kafka is held so they stay unread.
    kafka.down = true;
    await new Promise((r) => setTimeout(r, 20));
    ids.push(...write(log, 40));
    copyFileSync(log, `${log}.2`);
    truncateSync(log, 0);
    ids.push(...write(log, 10));
    kafka.release();
    await until('after copy-truncate', () => kafka.spanIds().length >= 150, 5_000);
    await s.stop(1_000);
    ids.push(...write(log, 7), ...write(`${log}.2`, 3));
    s = run(kafka);
    await until('after restart', () => kafka.spanIds().length >= 160, 5_000);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(kafka.spanIds().sort(), ids.sort());
  });
});

describe('ship Shipper: a producer that failed for good', () => {
  it('reports it instead of retrying forever, and saves no position past the failed chunk', async () => {
    const log = join(dir, 'app.log');
    write(log, 3);
    const failures: Error[] = [];
    const dead: Sender = {
      send: () => Promise.reject(new TracefoldError('TF_KAFKA_PRODUCE', 'fatal idempotence error', { fatal: true })),
    };
    shipper = new Shipper(settings({ onFatal: (e) => failures.push(e) }), dead, pino({ level: 'silent' }), new ShipMetrics());
    shipper.start();
    await until('reported', () => failures.length > 0, 5_000);
    await new Promise((r) => setTimeout(r, 30));
    assert.ok(shipper.inFlightBytes > 0, 'the chunk stays unacknowledged');
    assert.throws(() => readFileSync(join(dir, 'pos.json')), /ENOENT/);
  });
});
