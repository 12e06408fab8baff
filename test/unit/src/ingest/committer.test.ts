import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OffsetCommitter } from '../../../../src/ingest/committer.js';
import { CommitWatermark } from '../../../../src/source/kafka/watermark.js';
import { createLogger } from '../../../../src/telemetry/logger.js';
import { Metrics } from '../../../../src/telemetry/metrics.js';

type Offsets = Array<{ topic: string; partition: number; offset: number }>;

/** What the fake source does with a confirmed commit: confirm it, not confirm it, or refuse it. */
type Confirm = 'yes' | 'no' | 'throw';

function setUp(gate: () => Promise<void> | undefined, confirm: () => Confirm = () => 'yes') {
  const commits: Offsets[] = [];
  const confirmed: Array<{ offsets: Offsets; timeoutMs: number }> = [];
  const watermark = new CommitWatermark();
  const commit = (offsets: Readonly<Offsets>): Offsets => {
    commits.push(offsets.map((o) => ({ ...o })));
    return [...offsets];
  };
  const committer = new OffsetCommitter(
    {
      commit,
      commitConfirmed: async (offsets: Readonly<Offsets>, timeoutMs: number) => {
        const how = confirm();
        if (how === 'throw') throw new Error('refused');
        confirmed.push({ offsets: commit(offsets), timeoutMs });
        return how === 'yes';
      },
    },
    watermark,
    new Metrics(),
    createLogger('silent'),
    gate,
  );
  return { commits, confirmed, watermark, committer };
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
    committer.commit();
    assert.deepEqual(commits, [[{ topic: 't', partition: 0, offset: 5 }]]);
  });

  it('with a gate commits the positions done at the call, once the gate opens (not later ones before)', async () => {
    let open: () => void = () => undefined;
    let gated = true;
    const { commits, watermark, committer } = setUp(() => (gated ? new Promise<void>((r) => (open = r)) : undefined));
    done(watermark, 1, 0, 5);
    committer.commit();
    done(watermark, 2, 5, 5);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(commits, [], 'nothing committed while the gate is closed');
    open();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(commits, [[{ topic: 't', partition: 0, offset: 5 }]], 'the position taken at the call, not the later one');
    gated = false;
    committer.commit();
    assert.deepEqual(commits[1], [{ topic: 't', partition: 0, offset: 10 }]);
  });

  it('flush sends every done position, not only those that moved, and reports the confirmation', async () => {
    const { commits, confirmed, watermark, committer } = setUp(() => undefined);
    done(watermark, 1, 0, 5);
    committer.commit();
    assert.equal(await committer.flush(1000), true);
    assert.deepEqual(commits, [[{ topic: 't', partition: 0, offset: 5 }], [{ topic: 't', partition: 0, offset: 5 }]]);
    assert.ok((confirmed[0]?.timeoutMs ?? 0) > 900 && (confirmed[0]?.timeoutMs ?? 0) <= 1000, 'the bound is passed on');
  });

  it('flush with nothing done confirms at once without a commit', async () => {
    const { commits, committer } = setUp(() => undefined);
    assert.equal(await committer.flush(1000), true);
    assert.deepEqual(commits, []);
  });

  it('an unconfirmed or refused flush offers every position again on the next commit', async () => {
    let how: Confirm = 'no';
    const { commits, watermark, committer } = setUp(
      () => undefined,
      () => how,
    );
    done(watermark, 1, 0, 5);
    assert.equal(await committer.flush(1000), false);
    committer.commit();
    assert.deepEqual(commits.at(-1), [{ topic: 't', partition: 0, offset: 5 }], 'offered again though it did not move');
    how = 'throw';
    assert.equal(await committer.flush(1000), false);
    const before = commits.length;
    committer.commit();
    assert.equal(commits.length, before + 1, 'offered again after a refusal');
  });

  it('flush behind a gate that does not open in time commits nothing and says so', async () => {
    const { commits, watermark, committer } = setUp(() => new Promise<void>(() => undefined));
    done(watermark, 1, 0, 5);
    const started = Date.now();
    assert.equal(await committer.flush(50), false);
    assert.ok(Date.now() - started < 1000, 'bounded by its timeout');
    assert.deepEqual(commits, []);
  });
});
