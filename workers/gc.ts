/**
 * Time this thread spent paused in garbage collection (V8's `gc` performance entries, which each
 * worker thread observes for its own isolate): the GC share of a worker's time, for the metrics and
 * the benchmark. Collectors' work on V8's helper threads is not a pause and not counted here.
 */
import { PerformanceObserver } from 'node:perf_hooks';

export class GcPauses {
  private pausedMs = 0;
  private readonly observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) this.pausedMs += e.duration;
  });

  constructor() {
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /** Milliseconds paused since the last call. */
  take(): number {
    const ms = this.pausedMs;
    this.pausedMs = 0;
    return ms;
  }

  stop(): void {
    this.observer.disconnect();
  }
}
