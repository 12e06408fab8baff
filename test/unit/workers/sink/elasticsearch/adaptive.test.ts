import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AdaptiveLimit } from '../../../../../workers/sink/elasticsearch/adaptive.js';

/** A clock the test moves by hand. */
function fakeClock(): { now: () => number; advance: (ms: number) => void } {
  let t = 0;
  return { now: () => t, advance: (ms) => (t += ms) };
}

/** `n` answers of `latency` ms, `gapMs` apart; returns the limits seen after each. */
function feed(a: AdaptiveLimit, clock: ReturnType<typeof fakeClock>, n: number, latency: number, gapMs = 10): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    clock.advance(gapMs);
    out.push(a.onAnswer(latency, 'ok'));
  }
  return out;
}

describe('AdaptiveLimit', () => {
  it('starts at 1 and grows by one per full window of good answers, up to the max', () => {
    const clock = fakeClock();
    const a = new AdaptiveLimit({ max: 4 }, clock);
    assert.equal(a.limit, 1);
    // A window is as many answers as the limit: 1 → 2 after 1, → 3 after 2 more, → 4 after 3 more.
    assert.deepEqual(feed(a, clock, 6, 50), [2, 2, 3, 3, 3, 4]);
    assert.deepEqual(feed(a, clock, 20, 50), Array(20).fill(4));
  });

  it('halves on a 429, then holds for the cool-down however many throttled answers follow', () => {
    const clock = fakeClock();
    const a = new AdaptiveLimit({ max: 16, initial: 16, cooldownMs: 1000 }, clock);
    feed(a, clock, 5, 50);
    assert.equal(a.onAnswer(60, 'throttled'), 8);
    // The other requests sent at 16 answer 429 too: still one step.
    for (let i = 0; i < 7; i++) {
      clock.advance(10);
      assert.equal(a.onAnswer(60, 'throttled'), 8);
    }
    // No growth during the cool-down either.
    assert.deepEqual(feed(a, clock, 20, 50, 10), Array(20).fill(8));
    clock.advance(1000);
    assert.equal(a.onAnswer(60, 'throttled'), 4);
    clock.advance(1000);
    assert.equal(a.onAnswer(60, 'throttled'), 2);
    clock.advance(1000);
    assert.equal(a.onAnswer(60, 'throttled'), 1);
    clock.advance(1000);
    assert.equal(a.onAnswer(60, 'throttled'), 1, 'never below 1');
  });

  it('steps down by one when latency rises well above the best seen, and grows again once it falls', () => {
    const clock = fakeClock();
    const a = new AdaptiveLimit({ max: 8, initial: 6, cooldownMs: 500 }, clock);
    feed(a, clock, 30, 40);
    assert.equal(a.limit, 8);
    // The engine starts queueing: answers take 5× as long.
    const during = feed(a, clock, 60, 200, 100);
    assert.ok(Math.min(...during) < 8, `backed off: ${during.join(',')}`);
    const low = a.limit;
    assert.ok(low >= 1);
    // Back to fast answers: the average falls under the tolerance and the limit climbs back.
    clock.advance(1000);
    feed(a, clock, 200, 40, 10);
    assert.equal(a.limit, 8);
  });

  it('a slow answer among fast ones (the average) is not a back-off', () => {
    const clock = fakeClock();
    const a = new AdaptiveLimit({ max: 4, initial: 4 }, clock);
    feed(a, clock, 20, 40);
    clock.advance(10);
    assert.equal(a.onAnswer(100, 'ok'), 4); // avg 40 + 0.3 × 60 = 58 < 80
  });

  it('an answer without a latency (connection error) changes nothing but the good count', () => {
    const clock = fakeClock();
    const a = new AdaptiveLimit({ max: 2 }, clock);
    clock.advance(10);
    assert.equal(a.onAnswer(Number.NaN, 'ok'), 2);
    assert.equal(a.latency.average, undefined);
  });

  it('refuses a max below 1 and clamps the start into [1, max]', () => {
    assert.throws(() => new AdaptiveLimit({ max: 0 }, fakeClock()), RangeError);
    assert.equal(new AdaptiveLimit({ max: 3, initial: 10 }, fakeClock()).limit, 3);
    assert.equal(new AdaptiveLimit({ max: 3, initial: 0 }, fakeClock()).limit, 1);
  });
});
