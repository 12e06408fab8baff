import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Metrics } from '../../../../src/telemetry/metrics.js';

describe('Metrics.addWorkerCounters', () => {
  it('folds typed samples into tracefold_pipeline_events_total{event,encoding,reason}', async () => {
    const m = new Metrics();
    m.addWorkerCounters([
      { name: 'decode_errors', labels: { encoding: 'unknown', reason: 'unknown_format' }, value: 1 },
      { name: 'spans_decoded', labels: { encoding: 'json-v2' }, value: 7 },
      { name: 'spans_forwarded', labels: {}, value: 3 },
    ]);
    m.addWorkerCounters([{ name: 'spans_decoded', labels: { encoding: 'json-v2' }, value: 2 }]);
    const text = await m.registry.metrics();
    assert.match(text, /^tracefold_pipeline_events_total\{event="decode_errors",encoding="unknown",reason="unknown_format"\} 1$/m);
    assert.match(text, /^tracefold_pipeline_events_total\{event="spans_decoded",encoding="json-v2",reason=""\} 9$/m);
    assert.match(text, /^tracefold_pipeline_events_total\{event="spans_forwarded",encoding="",reason=""\} 3$/m);
  });
});
