import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OutgoingRecord } from '../../../../../src/kafka/producer.js';
import { DecisionLog } from '../../../../../src/sink/decisions/log.js';
import type { DecisionsMessage } from '../../../../../workers/protocol.js';

/** A producer whose deliveries the test acknowledges or fails one by one. */
class FakeProducer {
  readonly sent: Array<{ rec: OutgoingRecord; ack: () => void; fail: (e: Error) => void }> = [];
  send(rec: OutgoingRecord): Promise<number> {
    return new Promise((resolve, reject) => this.sent.push({ rec, ack: () => resolve(0), fail: reject }));
  }
}

const decisions = (...keys: string[]): DecisionsMessage => ({
  type: 'decisions',
  keys,
  partitions: keys.map((_, i) => i + 2),
  keep: keys.map((_, i) => i % 2 === 0),
  policies: keys.map((_, i) => (i % 2 === 0 ? 'error' : 'coin')),
});
const settle = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('DecisionLog', () => {
  it('produces one record per decision: keyed by trace key, on the trace’s keyed partition number, the decision as JSON', () => {
    const producer = new FakeProducer();
    const log = new DecisionLog(
      producer,
      'keyed.decisions',
      () => undefined,
      () => undefined,
    );
    log.write(decisions('000000000000000a', '000000000000000b'));
    assert.deepEqual(
      producer.sent.map((s) => [s.rec.topic, s.rec.key, s.rec.partition, JSON.parse(s.rec.value.toString())]),
      [
        ['keyed.decisions', '000000000000000a', 2, { keep: true, policy: 'error' }],
        ['keyed.decisions', '000000000000000b', 3, { keep: false, policy: 'coin' }],
      ],
    );
  });

  it('barrier: nothing to wait for when all is acknowledged; else resolves once every decision written before it is', async () => {
    const producer = new FakeProducer();
    let delivered = 0;
    const log = new DecisionLog(
      producer,
      'd',
      (n) => (delivered += n),
      () => undefined,
    );
    assert.equal(log.barrier(), undefined);
    log.write(decisions('a', 'b'));
    const barrier = log.barrier();
    assert.ok(barrier !== undefined);
    let passed = false;
    void barrier.then(() => (passed = true));
    log.write(decisions('c'));
    producer.sent[1]?.ack();
    await settle();
    assert.equal(passed, false, 'the first decision is still unacknowledged');
    producer.sent[0]?.ack();
    await settle();
    assert.equal(passed, true, 'both decisions before the barrier acknowledged; the later one is not waited for');
    assert.equal(log.inFlight, 1);
    assert.equal(delivered, 2);
    producer.sent[2]?.ack();
    await settle();
    assert.equal(log.barrier(), undefined);
  });

  it('retries a failed delivery (never drops it) and the barrier waits for the retry', async () => {
    const producer = new FakeProducer();
    const retries: string[] = [];
    const log = new DecisionLog(
      producer,
      'd',
      () => undefined,
      (e) => retries.push(e.message),
    );
    log.write(decisions('a'));
    const barrier = log.barrier() as Promise<void>;
    let passed = false;
    void barrier.then(() => (passed = true));
    producer.sent[0]?.fail(new Error('broker down'));
    await settle(150);
    assert.deepEqual(retries, ['broker down']);
    assert.equal(producer.sent.length, 2, 'sent again after a backoff');
    assert.equal(producer.sent[1]?.rec.key, 'a');
    assert.equal(passed, false);
    producer.sent[1]?.ack();
    await settle();
    assert.equal(passed, true);
  });
});
