import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CounterSample, labelValue, StatsCounters } from '../../../workers/stats.js';

describe('StatsCounters', () => {
  it('sums increments per counter and label set, and take() starts over', () => {
    const c = new StatsCounters();
    c.inc('spans_decoded', { encoding: 'json-v2' }, 3);
    c.inc('spans_decoded', { encoding: 'json-v2' }, 2);
    c.inc('spans_decoded', { encoding: 'thrift' });
    c.inc('decode_errors', { encoding: 'json-v2', reason: 'bad_json' });
    c.inc('messages_empty', {});
    c.inc('spans_forwarded', {}, 0);
    const taken = c.take();
    const byKey = new Map(taken.map((s) => [`${s.name}/${labelValue(s, 'encoding')}/${labelValue(s, 'reason')}`, s.value]));
    assert.deepEqual(
      byKey,
      new Map([
        ['spans_decoded/json-v2/', 5],
        ['spans_decoded/thrift/', 1],
        ['decode_errors/json-v2/bad_json', 1],
        ['messages_empty//', 1],
      ]),
    );
    assert.deepEqual(c.take(), []);
  });

  it('keeps label sets apart even when their values concatenate alike', () => {
    const c = new StatsCounters();
    c.inc('decode_errors', { encoding: 'a', reason: 'bc' });
    c.inc('decode_errors', { encoding: 'ab', reason: 'c' });
    c.inc('decode_errors', { encoding: 'a', reason: 'bc' });
    const taken = c.take().map((s) => [labelValue(s, 'encoding'), labelValue(s, 'reason'), s.value]);
    assert.deepEqual(taken, [
      ['a', 'bc', 2],
      ['ab', 'c', 1],
    ]);
  });

  it('reports samples as plain data with exactly the catalogued labels', () => {
    const c = new StatsCounters();
    c.inc('spans_late', { reason: 'kept' }, 4);
    const [s] = c.take() as [CounterSample];
    assert.deepEqual(structuredClone(s), { name: 'spans_late', labels: { reason: 'kept' }, value: 4 });
  });
});
