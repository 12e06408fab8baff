import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Backpressure,
  type BackpressureDecision,
  type BackpressureInput,
  type BackpressureOptions,
  type PartitionLoad,
} from '../../../../../src/source/kafka/backpressure.js';
import { createPrng } from '../../../../helpers/prng.js';

const OPTS: BackpressureOptions = {
  highBytes: 1_000,
  lowBytes: 500,
  highMessages: 100,
  lowMessages: 50,
  highQueue: 10,
  lowQueue: 4,
  shareFactor: 1,
};

const p = (partition: number, bytes = 0, messages = 0, worker?: number): PartitionLoad =>
  worker === undefined ? { topic: 't', partition, bytes, messages } : { topic: 't', partition, bytes, messages, worker };

function input(partitions: PartitionLoad[], extra: Partial<BackpressureInput> = {}): BackpressureInput {
  let totalBytes = 0;
  let totalMessages = 0;
  for (const x of partitions) {
    totalBytes += x.bytes;
    totalMessages += x.messages;
  }
  return { partitions, totalBytes, totalMessages, workerQueues: [0, 0], sinkFailing: false, ...extra };
}

const ids = (d: BackpressureDecision): { pause: number[]; resume: number[] } => ({
  pause: d.pause.map((x) => x.partition).sort((a, b) => a - b),
  resume: d.resume.map((x) => x.partition).sort((a, b) => a - b),
});

describe('Backpressure: global water marks', () => {
  it('pauses everything at high water and resumes only below low water', () => {
    const bp = new Backpressure(OPTS);
    const at = (b0: number, b1: number): BackpressureInput => input([p(0, b0), p(1, b1)]);
    // Two partitions: each one's share is 1000 / 2 = 500 (low share 250).
    assert.deepEqual(ids(bp.update(at(499, 499))), { pause: [], resume: [] });
    assert.deepEqual(ids(bp.update(at(500, 500))), { pause: [0, 1], resume: [] });
    assert.deepEqual(bp.reasons('t', 0), ['global', 'share']);
    assert.deepEqual(ids(bp.update(at(500, 500))), { pause: [], resume: [] }, 'same input, no delta');
    assert.deepEqual(ids(bp.update(at(249, 251))), { pause: [], resume: [] }, 'in the band: stays paused');
    assert.deepEqual(bp.reasons('t', 0), ['global']);
    assert.deepEqual(ids(bp.update(at(249, 249))), { pause: [], resume: [0, 1] });
    assert.deepEqual(ids(bp.update(at(249, 249))), { pause: [], resume: [] });
    assert.equal(bp.pausedCount, 0);
  });

  it('uses the message count the same way', () => {
    const bp = new Backpressure(OPTS);
    assert.deepEqual(ids(bp.update(input([p(0, 0, 100)]))), { pause: [0], resume: [] });
    assert.deepEqual(ids(bp.update(input([p(0, 0, 50)]))), { pause: [], resume: [] });
    assert.deepEqual(ids(bp.update(input([p(0, 0, 49)]))), { pause: [], resume: [0] });
  });

  it('pauses while the sink is failing, and resumes once it recovered and load is low', () => {
    const bp = new Backpressure(OPTS);
    assert.deepEqual(ids(bp.update(input([p(0, 10)], { sinkFailing: true }))), { pause: [0], resume: [] });
    assert.deepEqual(ids(bp.update(input([p(0, 700)], { sinkFailing: false }))), { pause: [], resume: [] });
    assert.deepEqual(ids(bp.update(input([p(0, 10)], { sinkFailing: false }))), { pause: [], resume: [0] });
  });
});

describe('Backpressure: worker input queues', () => {
  it('pauses the partitions feeding a full worker, with hysteresis', () => {
    const bp = new Backpressure(OPTS);
    const parts = [p(0, 0, 0, 0), p(1, 0, 0, 1), p(2, 0, 0, 1)];
    assert.deepEqual(ids(bp.update(input(parts, { workerQueues: [9, 10] }))), { pause: [1, 2], resume: [] });
    assert.deepEqual(bp.reasons('t', 1), ['queue']);
    assert.deepEqual(ids(bp.update(input(parts, { workerQueues: [9, 4] }))), { pause: [], resume: [] });
    assert.deepEqual(ids(bp.update(input(parts, { workerQueues: [9, 3] }))), { pause: [], resume: [1, 2] });
  });

  it('pauses partitions with no fixed worker when any worker is full', () => {
    const bp = new Backpressure(OPTS);
    assert.deepEqual(ids(bp.update(input([p(0), p(1)], { workerQueues: [0, 12] }))), { pause: [0, 1], resume: [] });
    assert.deepEqual(ids(bp.update(input([p(0), p(1)], { workerQueues: [0, 0, 0] }))), { pause: [], resume: [0, 1] });
  });
});

describe('Backpressure: per-partition share', () => {
  it('leaves a hot partition alone while the budget is not contended', () => {
    const bp = new Backpressure(OPTS);
    // Share = 1000 / 4 = 250, but total 400 < lowBytes.
    assert.deepEqual(ids(bp.update(input([p(0, 370), p(1, 10), p(2, 10), p(3, 10)]))), { pause: [], resume: [] });
  });

  it('pauses a partition over its share when contended, and resumes it below its low share', () => {
    const bp = new Backpressure(OPTS);
    const at = (hot: number): BackpressureInput => input([p(0, hot), p(1, 150), p(2, 150), p(3, 100)]);
    assert.deepEqual(ids(bp.update(at(249))), { pause: [], resume: [] });
    assert.deepEqual(ids(bp.update(at(250))), { pause: [0], resume: [] });
    assert.deepEqual(bp.reasons('t', 0), ['share']);
    assert.deepEqual(ids(bp.update(at(125))), { pause: [], resume: [] }, 'share low water is 500 / 4 = 125');
    assert.deepEqual(ids(bp.update(at(124))), { pause: [], resume: [0] });
  });

  it('scales the share with shareFactor', () => {
    const bp = new Backpressure({ ...OPTS, shareFactor: 2 });
    assert.deepEqual(ids(bp.update(input([p(0, 499), p(1, 100), p(2, 100), p(3, 100)]))), { pause: [], resume: [] });
    assert.deepEqual(ids(bp.update(input([p(0, 500), p(1, 100), p(2, 100), p(3, 100)]))), { pause: [0], resume: [] });
  });

  it('resumes only when every reason released', () => {
    const bp = new Backpressure(OPTS);
    assert.deepEqual(ids(bp.update(input([p(0, 800), p(1, 200)]))), { pause: [0, 1], resume: [] });
    assert.deepEqual(bp.reasons('t', 0), ['global', 'share']);
    // Total below low water: global releases; p0 still holds more than its low share (250).
    assert.deepEqual(ids(bp.update(input([p(0, 400), p(1, 50)]))), { pause: [], resume: [1] });
    assert.ok(bp.isPaused('t', 0), 'p0 still paused by its share');
    assert.deepEqual(ids(bp.update(input([p(0, 249), p(1, 50)]))), { pause: [], resume: [0] });
  });
});

describe('Backpressure: assignment changes', () => {
  it('forgets partitions that are no longer assigned, without resuming them', () => {
    const bp = new Backpressure(OPTS);
    bp.update(input([p(0, 600), p(1, 600)]));
    assert.deepEqual(ids(bp.update(input([p(0, 600)]))), { pause: [], resume: [] });
    assert.equal(bp.isPaused('t', 1), false);
    // Re-assigned while still overloaded: a fresh assignment is unpaused, so it is paused again.
    assert.deepEqual(ids(bp.update(input([p(0, 600), p(1, 600)]))), { pause: [1], resume: [] });
  });

  it('forget() makes the next update repeat a needed pause', () => {
    const bp = new Backpressure(OPTS);
    bp.update(input([p(0, 1_000)]));
    bp.forget('t', 0);
    assert.deepEqual(ids(bp.update(input([p(0, 1_000)]))), { pause: [0], resume: [] });
    assert.deepEqual(bp.reasons('t', 9), []);
  });

  it('copes with no partitions at all', () => {
    const bp = new Backpressure(OPTS);
    assert.deepEqual(ids(bp.update(input([], { sinkFailing: true }))), { pause: [], resume: [] });
  });

  it('rejects water marks without a band', () => {
    assert.throws(() => new Backpressure({ highBytes: 10, lowBytes: 10 }), RangeError);
    assert.throws(() => new Backpressure({ highQueue: 4, lowQueue: 8 }), RangeError);
    assert.throws(() => new Backpressure({ lowMessages: -1 }), RangeError);
    assert.throws(() => new Backpressure({ shareFactor: 0.5 }), RangeError);
    assert.ok(new Backpressure(), 'defaults are valid');
  });
});

describe('Backpressure: randomised properties (fixed seeds)', () => {
  /** Would any rule pause this partition from scratch, given this input? */
  function wouldPause(o: BackpressureOptions, inp: BackpressureInput, load: PartitionLoad): boolean {
    const n = inp.partitions.length;
    const maxQueue = Math.max(0, ...inp.workerQueues);
    const queue = load.worker === undefined ? maxQueue : (inp.workerQueues[load.worker] ?? 0);
    return (
      inp.totalBytes >= o.highBytes ||
      inp.totalMessages >= o.highMessages ||
      inp.sinkFailing ||
      queue >= o.highQueue ||
      (inp.totalBytes >= o.lowBytes && load.bytes >= (o.highBytes * o.shareFactor) / n)
    );
  }

  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: deltas are consistent, justified, and idempotent`, () => {
      const rnd = createPrng(seed);
      const o = { ...OPTS, shareFactor: rnd.pick([1, 2, 3]) };
      const bp = new Backpressure(o);
      const paused = new Set<number>();
      const loads = Array.from({ length: 8 }, (_, i) => p(i, 0, 0, rnd.chance(0.5) ? rnd.int(3) : undefined));
      let queues = [0, 0, 0];
      let sinkFailing = false;
      let pauses = 0;
      let resumes = 0;
      // Noisy loads pulled towards targets that jump now and then: calm and overloaded phases.
      const targets = loads.map(() => 0);
      let queueTarget = 0;
      const pull = (x: number, target: number, noise: number): number =>
        Math.max(0, Math.round(x + (target - x) * 0.1 + rnd.range(-noise, noise)));
      for (let step = 0; step < 5_000; step++) {
        if (rnd.chance(0.02)) for (let i = 0; i < targets.length; i++) targets[i] = rnd.range(0, rnd.pick([60, 150, 300]));
        if (rnd.chance(0.02)) queueTarget = rnd.range(0, 14);
        loads.forEach((l, i) => {
          l.bytes = pull(l.bytes, targets[i] as number, 30);
          l.messages = pull(l.messages, (targets[i] as number) / 20, 2);
        });
        queues = queues.map((q) => pull(q, queueTarget, 2));
        if (rnd.chance(0.01)) sinkFailing = !sinkFailing;
        const inp = input(
          loads.map((l) => ({ ...l })),
          { workerQueues: queues, sinkFailing },
        );
        const d = bp.update(inp);
        for (const tp of d.pause) {
          assert.ok(!paused.has(tp.partition), `step ${step}: paused ${tp.partition} twice`);
          assert.ok(wouldPause(o, inp, loads[tp.partition] as PartitionLoad), `step ${step}: unjustified pause of ${tp.partition}`);
          paused.add(tp.partition);
          pauses++;
        }
        for (const tp of d.resume) {
          assert.ok(paused.has(tp.partition), `step ${step}: resumed ${tp.partition} which was not paused`);
          assert.ok(!wouldPause(o, inp, loads[tp.partition] as PartitionLoad), `step ${step}: resumed ${tp.partition} into a pause`);
          paused.delete(tp.partition);
          resumes++;
        }
        for (const l of loads)
          assert.equal(bp.isPaused('t', l.partition), paused.has(l.partition), `step ${step}: state of ${l.partition}`);
        assert.equal(bp.pausedCount, paused.size);
        // Never flaps: the same load twice gives no change the second time.
        const again = bp.update(inp);
        assert.equal(again.pause.length + again.resume.length, 0, `step ${step}: flapped on identical input`);
      }
      assert.ok(pauses > 20 && resumes > 20, `exercised: ${pauses} pauses, ${resumes} resumes`);
    });
  }

  it('a load moving only inside the hysteresis bands never changes anything', () => {
    const rnd = createPrng(4);
    const bp = new Backpressure(OPTS);
    // Enter the paused state, then wander between the low and high marks.
    bp.update(input([p(0, 600), p(1, 600)], { workerQueues: [12, 12] }));
    for (let step = 0; step < 2_000; step++) {
      const a = rnd.range(250, 495);
      const b = rnd.range(255, 999 - a);
      const d = bp.update(
        input([p(0, a, rnd.range(25, 49)), p(1, b, rnd.range(25, 49))], { workerQueues: [rnd.range(4, 9), rnd.range(4, 9)] }),
      );
      assert.equal(d.pause.length + d.resume.length, 0, `step ${step}: changed inside the band`);
    }
  });
});
