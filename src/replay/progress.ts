/**
 * Replay progress on stderr: a live bar on a TTY (messages, spans, rate, ETA, per-partition
 * completion), a periodic one-line log otherwise, so CI logs stay readable.
 */
import type { PartitionRange } from './plan.js';

export interface ProgressSample {
  ranges: Array<PartitionRange & { next: number }>;
  spans: number;
}

export class ReplayProgress {
  private readonly started = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private lastLine = 0;

  constructor(
    private readonly sample: () => ProgressSample,
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly lineEveryMs = 5000,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.render(false), this.out.isTTY ? 250 : 1000);
  }

  stop(): void {
    clearInterval(this.timer);
    this.render(true);
    if (this.out.isTTY) this.out.write('\n');
  }

  private render(final: boolean): void {
    const { ranges, spans } = this.sample();
    let total = 0;
    let done = 0;
    for (const r of ranges) {
      total += r.end - r.start;
      done += r.next - r.start;
    }
    const secs = Math.max(0.001, (Date.now() - this.started) / 1000);
    const rate = done / secs;
    const eta = rate > 0 ? Math.max(0, (total - done) / rate) : Number.POSITIVE_INFINITY;
    const pct = total === 0 ? 100 : (100 * done) / total;
    const head = `replay ${pct.toFixed(1)}% ${done}/${total} messages, ${spans} spans, ${rate.toFixed(0)} msg/s, ETA ${Number.isFinite(eta) ? `${eta.toFixed(0)}s` : '?'}`;
    if (this.out.isTTY) {
      const width = 24;
      const filled = Math.round((pct / 100) * width);
      const parts = ranges
        .map((r) => `p${r.partition}:${r.end === r.start ? 100 : Math.floor((100 * (r.next - r.start)) / (r.end - r.start))}%`)
        .join(' ');
      this.out.write(`\r\x1b[2K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${head} | ${parts}`);
      return;
    }
    const now = Date.now();
    if (!final && now - this.lastLine < this.lineEveryMs) return;
    this.lastLine = now;
    this.out.write(`${head}\n`);
  }
}
