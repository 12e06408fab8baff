import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PipelineTotals } from '../../../../src/ingest/pipeline-totals.js';

describe('PipelineTotals', () => {
  it('sums reports from several workers by counter and by label', () => {
    const t = new PipelineTotals();
    t.add([
      { name: 'spans_decoded', labels: { encoding: 'json-v2' }, value: 10 },
      { name: 'decode_errors', labels: { encoding: 'thrift', reason: 'truncated' }, value: 1 },
    ]);
    t.add([
      { name: 'spans_decoded', labels: { encoding: 'proto3' }, value: 5 },
      { name: 'spans_decoded', labels: { encoding: 'json-v2' }, value: 1 },
      { name: 'decode_errors', labels: { encoding: 'json-v2', reason: 'truncated' }, value: 2 },
      { name: 'decode_errors', labels: { encoding: 'json-v2', reason: 'bad_json' }, value: 1 },
    ]);
    assert.equal(t.sum('spans_decoded'), 16);
    assert.deepEqual(t.by('spans_decoded', 'encoding'), { 'json-v2': 11, proto3: 5 });
    assert.deepEqual(t.by('decode_errors', 'reason'), { truncated: 3, bad_json: 1 });
    assert.equal(t.sum('spans_rejected'), 0);
    assert.deepEqual(t.by('spans_filtered', 'reason'), {});
  });

  it('keeps label sets apart by every label of the counter (sampling: policy and decision)', () => {
    const t = new PipelineTotals();
    t.add([
      { name: 'spans_sampled', labels: { policy: 'error', decision: 'kept' }, value: 4 },
      { name: 'spans_sampled', labels: { policy: 'sampled_out', decision: 'dropped' }, value: 90 },
    ]);
    t.add([
      { name: 'spans_sampled', labels: { policy: 'slow', decision: 'kept' }, value: 3 },
      { name: 'spans_sampled', labels: { policy: 'error', decision: 'kept' }, value: 1 },
    ]);
    assert.equal(t.sum('spans_sampled'), 98);
    assert.deepEqual(t.by('spans_sampled', 'policy'), { error: 5, sampled_out: 90, slow: 3 });
    assert.deepEqual(
      t.by('spans_sampled', 'policy', (s) => s.name === 'spans_sampled' && s.labels.decision === 'kept'),
      { error: 5, slow: 3 },
    );
  });

  it('does not keep a reference to the reported samples', () => {
    const t = new PipelineTotals();
    const sample = { name: 'traces_flushed' as const, labels: { reason: 'quiet' }, value: 2 };
    t.add([sample]);
    t.add([sample]);
    assert.equal(sample.value, 2);
    assert.equal(t.sum('traces_flushed'), 4);
  });
});
