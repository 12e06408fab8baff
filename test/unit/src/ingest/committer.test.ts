import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OffsetCommitter } from '../../../../src/ingest/committer.js';
import { CommitWatermark } from '../../../../src/source/kafka/watermark.js';
import { createLogger } from '../../../../src/telemetry/logger.js';
import { Metrics } from '../../../../src/telemetry/metrics.js';

type Offsets = Array<{ topic: string; partition: number; offset: number }>;

function setUp(gate: () => Promise<void> | undefined) {
  const commits: Offsets[] = [];
  const watermark = new CommitWatermark();
  const committer = new OffsetCommitter(
    { commit: (offsets: Offsets) => commits.push(offsets.map((o) => ({ ...o }))) },
    watermark,
    new Metrics(),
    createLogger('silent'),
    gate,
  );
  return { commits, watermark, committer };
}

/** One batch of `n` records at `first`, decoded into n units and all resolved. */
function done(watermark: CommitWatermark, batchId: number, first: number, n: number): void {
  watermark.register('t', 0, batchId, first, first + n - 1, n, n * 10);
  watermark.decoded(batchId, n);
  watermark.resolve(batchId, n);
}

describe('OffsetCommitter', () => {
  it('without a gate commits what is done at once', () => {
    const { commits, watermark, committer } = setUp(() => undefined);
    done(watermark, 1, 0, 5);
    committer.commit(false);
    assert.deepEqual(commits, [[{ topic: 't', partition: 0, offset: 5 }]]);
  });

  it('with a gate commits the positions done at the call, once the gate opens (not later ones before)', async () => {
    let open: () => void = () => undefined;
    let gated = true;
    const { commits, watermark, committer } = setUp(() => (gated ? new Promise<void>((r) => (open = r)) : undefined));
    done(watermark, 1, 0, 5);
    committer.commit(false);
    done(watermark, 2, 5, 5);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(commits, [], 'nothing committed while the gate is closed');
    open();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(commits, [[{ topic: 't', partition: 0, offset: 5 }]], 'the position taken at the call, not the later one');
    gated = false;
    committer.commit(false);
    assert.deepEqual(commits[1], [{ topic: 't', partition: 0, offset: 10 }]);
  });
});
