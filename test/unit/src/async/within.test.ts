import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { within } from '../../../../src/async/within.js';

describe('within', () => {
  it('is true when the promise fulfils in time, false when the time runs out first', async () => {
    assert.equal(await within(Promise.resolve(1), 1000), true);
    assert.equal(await within(new Promise((r) => setTimeout(r, 5)), 1000), true);
    assert.equal(await within(new Promise(() => undefined), 10), false);
    assert.equal(await within(new Promise((r) => setTimeout(r, 200)), 10), false);
  });

  it('passes a rejection in time on', async () => {
    await assert.rejects(within(Promise.reject(new Error('boom')), 1000), /boom/);
  });

  it('clears its timer once the promise settles (no handle left behind)', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    await within(Promise.resolve(), 60_000);
    assert.equal(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length, before);
  });
});
