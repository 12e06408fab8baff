/**
 * KafkaSource's batching of what the client hands over, without a broker: the rebalance callback
 * and the consume callback's messages are driven directly.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Kafka from 'node-rdkafka';
import { KafkaSource, type RawBatch, type SourceHandlers, type TopicPartition } from '../../../../../src/source/kafka/consumer.js';

type Redelivered = Parameters<SourceHandlers['onRedelivered']>[0];

/** The private entry points the client calls, reached the way node-rdkafka reaches them. */
interface Internals {
  onRebalance(
    consumer: { assign(a: unknown): void; unassign(): void },
    err: { code: number; message: string },
    assignment: TopicPartition[],
  ): void;
  emitBatches(messages: Kafka.Message[]): void;
}

function source(batchMaxBytes = 2 ** 20) {
  const batches: RawBatch[] = [];
  const redelivered: Redelivered[] = [];
  const errors: Error[] = [];
  const fatal: Error[] = [];
  const src = new KafkaSource(
    {
      bootstrapServers: '127.0.0.1:1',
      groupId: 'g',
      clientId: 'c',
      topics: ['t'],
      autoOffsetReset: 'earliest',
      batchMaxMessages: 100,
      batchMaxBytes,
      fetchWaitMs: 10,
      extra: {},
    },
    {
      onBatch: (b) => batches.push(b),
      onRevoke: async () => undefined,
      onAssign: () => undefined,
      onError: (e) => errors.push(e),
      onRedelivered: (r) => redelivered.push(r),
      onFatal: (e) => fatal.push(e),
    },
  );
  const internals = src as unknown as Internals;
  const consumer = { assign: () => undefined, unassign: () => undefined };
  const assign = (parts: TopicPartition[]): void =>
    internals.onRebalance(consumer, { code: Kafka.CODES.ERRORS.ERR__ASSIGN_PARTITIONS, message: 'assign' }, parts);
  return { src, internals, assign, batches, redelivered, errors, fatal };
}

function messages(partition: number, from: number, to: number): Kafka.Message[] {
  const out: Kafka.Message[] = [];
  for (let offset = from; offset <= to; offset++) {
    out.push({ topic: 't', partition, offset, value: Buffer.from(`m${offset}`), size: 0, key: undefined, timestamp: 0 } as Kafka.Message);
  }
  return out;
}

const offsetsOf = (b: RawBatch | undefined): number[] => [...(b?.offsets ?? [])];

describe('KafkaSource: batches', () => {
  it('groups records per partition in offset order, values back to back', () => {
    const s = source();
    s.assign([
      { topic: 't', partition: 0 },
      { topic: 't', partition: 1 },
    ]);
    s.internals.emitBatches([...messages(0, 0, 1), ...messages(1, 5, 5), ...messages(0, 2, 2)]);
    assert.equal(s.batches.length, 2);
    assert.deepEqual(offsetsOf(s.batches[0]), [0, 1, 2]);
    assert.equal(Buffer.from(s.batches[0]?.data as ArrayBuffer).toString(), 'm0m1m2');
    assert.deepEqual(offsetsOf(s.batches[1]), [5]);
  });

  it('skips records the client delivers again after going back, and says so once per partition', () => {
    const s = source();
    s.assign([{ topic: 't', partition: 4 }]);
    s.internals.emitBatches(messages(4, 0, 450));
    // The fetch position went back to 0 (seen after pause/resume): 0..450 again, then new records.
    s.internals.emitBatches([...messages(4, 0, 38)]);
    s.internals.emitBatches([...messages(4, 39, 460)]);
    assert.deepEqual(
      s.batches.map((b) => [b.firstOffset, b.lastOffset]),
      [
        [0, 450],
        [451, 460],
      ],
    );
    assert.deepEqual(
      s.redelivered.map((r) => [r.partition, r.firstOffset, r.expectedOffset, r.skipped]),
      [
        [4, 0, 451, 39],
        [4, 39, 451, 412],
      ],
    );
    assert.deepEqual(s.errors, []);
  });

  it('starts afresh when a partition is assigned again (a new owner may resume earlier, from the committed offset)', () => {
    const s = source();
    s.assign([{ topic: 't', partition: 0 }]);
    s.internals.emitBatches(messages(0, 0, 9));
    s.assign([{ topic: 't', partition: 0 }]);
    s.internals.emitBatches(messages(0, 5, 9));
    assert.deepEqual(
      s.batches.map((b) => [b.firstOffset, b.lastOffset]),
      [
        [0, 9],
        [5, 9],
      ],
    );
    assert.deepEqual(s.redelivered, []);
  });

  it('ignores records of partitions it does not own', () => {
    const s = source();
    s.assign([{ topic: 't', partition: 0 }]);
    s.internals.emitBatches(messages(3, 0, 2));
    assert.deepEqual(s.batches, []);
  });

  it('caps each batch by bytes: the records of a partition split where the next would pass batchMaxBytes', () => {
    const s = source(10);
    s.assign([
      { topic: 't', partition: 0 },
      { topic: 't', partition: 1 },
    ]);
    // m0..m9 are 2 bytes each, m10.. 3 bytes: 10 bytes hold five short records or three long ones.
    s.internals.emitBatches([...messages(0, 0, 11), ...messages(1, 0, 1)]);
    assert.deepEqual(
      s.batches.map((b) => [b.partition, b.firstOffset, b.lastOffset, b.bytes]),
      [
        [0, 0, 4, 10],
        [0, 5, 9, 10],
        [0, 10, 11, 6],
        [1, 0, 1, 4],
      ],
    );
    for (const b of s.batches) {
      assert.ok(b.bytes <= 10, `batch of ${b.bytes} bytes`);
      assert.equal(b.data.byteLength, b.bytes);
      assert.equal(b.ends[b.ends.length - 1], b.bytes);
    }
    assert.equal(Buffer.from(s.batches[1]?.data as ArrayBuffer).toString(), 'm5m6m7m8m9');
    assert.deepEqual([...(s.batches[2]?.ends ?? [])], [3, 6]);
  });

  it('a record larger than batchMaxBytes is a batch of its own, never dropped', () => {
    const s = source(4);
    s.assign([{ topic: 't', partition: 0 }]);
    s.internals.emitBatches([...messages(0, 8, 12)]);
    assert.deepEqual(
      s.batches.map((b) => [b.firstOffset, b.lastOffset, b.bytes]),
      [
        [8, 9, 4],
        [10, 10, 3],
        [11, 11, 3],
        [12, 12, 3],
      ],
    );
  });
});

describe('KafkaSource: a client that fails for good', () => {
  /** A client whose every consume ends with `err`; counts the commits it is asked for. */
  function failingClient(err: { code: number; message: string; isFatal?: boolean }) {
    const client = {
      consumes: 0,
      commits: 0,
      consume(_n: number, cb: (e: unknown, m: Kafka.Message[]) => void) {
        client.consumes++;
        setImmediate(() => cb(err, []));
      },
      commit() {
        client.commits++;
      },
    };
    return client;
  }

  async function run(err: { code: number; message: string; isFatal?: boolean }) {
    const s = source();
    const client = failingClient(err);
    (s.src as unknown as { consumer: unknown }).consumer = client;
    s.assign([{ topic: 't', partition: 0 }]);
    s.src.start();
    while (client.consumes < 5) await new Promise((r) => setImmediate(r));
    s.src.stop();
    await s.src.waitLoopIdle();
    return { ...s, client };
  }

  it('reports a fatal error once, not as one more client error, and commits nothing after it', async () => {
    const s = await run({ code: Kafka.CODES.ERRORS.ERR__FATAL, message: 'Local: Fatal error', isFatal: true });
    assert.equal(s.fatal.length, 1, 'once, though every consume failed');
    assert.match(s.fatal[0]?.message ?? '', /Fatal error/);
    assert.deepEqual(s.errors, []);
    assert.throws(() => s.src.commit([{ topic: 't', partition: 0, offset: 1 }]), /being replaced/);
    assert.equal(s.client.commits, 0);
  });

  it('an ordinary consume error is logged, not fatal, and commits go on', async () => {
    const s = await run({ code: Kafka.CODES.ERRORS.ERR__TRANSPORT, message: 'Local: Broker transport failure' });
    assert.equal(s.fatal.length, 0);
    assert.ok(s.errors.length >= 5);
    assert.deepEqual(s.src.commit([{ topic: 't', partition: 0, offset: 1 }]), [{ topic: 't', partition: 0, offset: 1 }]);
    assert.equal(s.client.commits, 1);
  });
});

describe('KafkaSource: an assignment the client refuses', () => {
  /** librdkafka refuses assign() while the client is closing: node-rdkafka throws from its rebalance callback. */
  function refusing() {
    return {
      assign() {
        throw new Error('Local: Erroneous state');
      },
      unassign: () => undefined,
    };
  }
  const ASSIGN = { code: Kafka.CODES.ERRORS.ERR__ASSIGN_PARTITIONS, message: 'assign' };

  it('while closing (a node stopping during its start): nothing thrown, nothing assigned, nothing fatal', () => {
    const s = source();
    const client = refusing();
    Object.assign(s.src as unknown as object, { consumer: client, closing: true });
    let assigned = 0;
    (s.src as unknown as { handlers: SourceHandlers }).handlers.onAssign = () => assigned++;
    assert.doesNotThrow(() => s.internals.onRebalance(client, ASSIGN, [{ topic: 't', partition: 0 }]));
    assert.equal(assigned, 0);
    assert.deepEqual(s.fatal, []);
  });

  it('otherwise: reported once as fatal with the reason, not thrown into the client', () => {
    const s = source();
    const client = refusing();
    Object.assign(s.src as unknown as object, { consumer: client });
    assert.doesNotThrow(() => s.internals.onRebalance(client, ASSIGN, [{ topic: 't', partition: 0 }]));
    assert.doesNotThrow(() => s.internals.onRebalance(client, ASSIGN, [{ topic: 't', partition: 1 }]));
    assert.equal(s.fatal.length, 1);
    assert.match(s.fatal[0]?.message ?? '', /refused the partitions the group assigned: Local: Erroneous state/);
  });
});
