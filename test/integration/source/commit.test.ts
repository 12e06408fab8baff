/**
 * Offset commits against a broker of the test's own that goes away: a commit that waits for the
 * group's confirmation is bounded and never stops the thread (librdkafka's synchronous commit blocked
 * it for as long as the group coordinator was unreachable), and once the broker is back the same
 * call is confirmed and the group reads the offsets back.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ensureTopics } from '../../../src/kafka/admin.js';
import type { KafkaSource } from '../../../src/source/kafka/consumer.js';
import { committedTotal, produceTraces, startSource } from '../../helpers/kafka.js';
import { OwnKafka } from '../../helpers/own-kafka.js';
import { uniqueName } from '../../helpers/servers.js';
import { waitFor } from '../../helpers/tracefold.js';
import { syntheticTraces } from '../../helpers/traffic.js';

const broker = new OwnKafka(Number(process.env.TF_COMMIT_KAFKA_PORT ?? 19592));
let source: KafkaSource | undefined;

before(() => broker.up());
after(async () => {
  await source?.disconnect();
  broker.destroy();
});

/** Runs `work` while a 20 ms timer ticks; returns its result and the longest gap between ticks. */
async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number; longestGapMs: number }> {
  let last = Date.now();
  let longestGapMs = 0;
  const timer = setInterval(() => {
    const now = Date.now();
    longestGapMs = Math.max(longestGapMs, now - last);
    last = now;
  }, 20);
  const started = Date.now();
  try {
    const result = await work();
    longestGapMs = Math.max(longestGapMs, Date.now() - last);
    return { result, ms: Date.now() - started, longestGapMs };
  } finally {
    clearInterval(timer);
  }
}

test('a confirmed commit: bounded and never blocking with the coordinator gone, confirmed once it is back', {
  timeout: 300_000,
}, async () => {
  const topic = uniqueName('tf-commit');
  const group = uniqueName('g');
  await ensureTopics(broker.bootstrap, [{ topic, partitions: 1 }]);
  const produced = await produceTraces(topic, syntheticTraces(1, 7), 5, broker.bootstrap);
  let next = 0;
  source = await startSource(broker.bootstrap, topic, group, (b) => {
    next = b.lastOffset + 1;
  });
  await waitFor(`all ${produced} records consumed`, async () => next === produced, 60_000, 50);
  const src = source;
  const offsets = (n: number) => [{ topic, partition: 0, offset: n }];

  const up = await timed(() => src.commitConfirmed(offsets(produced - 1), 10_000));
  assert.equal(up.result, true, 'confirmed with the broker up');
  assert.equal(await committedTotal(group, topic, 1, broker.bootstrap), produced - 1);

  broker.down();
  const down = await timed(() => src.commitConfirmed(offsets(produced), 3_000));
  process.stdout.write(`[commit] broker down: ${down.result} after ${down.ms} ms, longest stall ${down.longestGapMs} ms\n`);
  assert.equal(down.result, false, 'not confirmed while the broker is down');
  assert.ok(down.ms >= 2_900 && down.ms < 8_000, `returned after its 3 s bound (${down.ms} ms)`);
  assert.ok(down.longestGapMs < 1_000, `the thread kept running (longest stall ${down.longestGapMs} ms)`);

  broker.up();
  // The restarted broker answers 'not coordinator' until it has loaded the group's offsets.
  await waitFor('the commit to be confirmed after the restart', () => src.commitConfirmed(offsets(produced), 5_000), 120_000, 200);
  assert.equal(await committedTotal(group, topic, 1, broker.bootstrap), produced);
});
