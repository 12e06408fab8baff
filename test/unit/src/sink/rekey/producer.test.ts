import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KafkaProducer, OutgoingRecord } from '../../../../../src/kafka/producer.js';
import { RekeySink } from '../../../../../src/sink/rekey/producer.js';
import type { RekeyedMessage } from '../../../../../workers/protocol.js';

/** A producer whose deliveries the test acknowledges or fails one by one. */
class FakeProducer {
  readonly sent: Array<{ rec: OutgoingRecord; ack: () => void; fail: (e: Error) => void }> = [];
  send(rec: OutgoingRecord): Promise<number> {
    return new Promise((resolve, reject) => this.sent.push({ rec, ack: () => resolve(0), fail: reject }));
  }
}

const message = (): RekeyedMessage => {
  const bytes = new TextEncoder().encode('aaabbbbb');
  return {
    type: 'rekeyed',
    batchId: 7,
    data: bytes.buffer,
    ends: Uint32Array.from([3, 8]),
    keys: ['000000000000000a', '000000000000000b'],
  };
};
const settle = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('RekeySink', () => {
  it('produces one keyed record per trace and resolves each unit only on its delivery report', async () => {
    const producer = new FakeProducer();
    const delivered: number[] = [];
    const sink = new RekeySink(
      producer as unknown as KafkaProducer,
      'keyed',
      (b) => delivered.push(b),
      () => undefined,
    );
    sink.write(message());
    assert.deepEqual(
      producer.sent.map((s) => [s.rec.topic, s.rec.key, s.rec.value.toString()]),
      [
        ['keyed', '000000000000000a', 'aaa'],
        ['keyed', '000000000000000b', 'bbbbb'],
      ],
    );
    await settle();
    assert.deepEqual(delivered, [], 'nothing resolves before the broker acknowledges');
    assert.equal(sink.inFlight, 2);
    producer.sent[1]?.ack();
    await settle();
    assert.deepEqual(delivered, [7]);
    producer.sent[0]?.ack();
    await settle();
    assert.deepEqual(delivered, [7, 7]);
    assert.equal(sink.inFlight, 0);
  });

  it('retries a failed delivery instead of dropping it (the raw batch stays uncommitted meanwhile)', async () => {
    const producer = new FakeProducer();
    const delivered: number[] = [];
    const retries: string[] = [];
    const sink = new RekeySink(
      producer as unknown as KafkaProducer,
      'keyed',
      (b) => delivered.push(b),
      (e) => retries.push(e.message),
    );
    sink.write(message());
    producer.sent[0]?.fail(new Error('broker down'));
    producer.sent[1]?.ack();
    await settle(150);
    assert.deepEqual(retries, ['broker down']);
    assert.deepEqual(delivered, [7]);
    assert.equal(producer.sent.length, 3, 'sent again');
    assert.equal(producer.sent[2]?.rec.key, '000000000000000a');
    producer.sent[2]?.ack();
    await settle();
    assert.deepEqual(delivered, [7, 7]);
    assert.equal(sink.inFlight, 0);
  });
});
