/** Counter deltas a worker accumulates between stats reports (protocol.ts StatsMessage). */
export class StatsCounters {
  private counters: Record<string, Record<string, number>> = {};

  inc(event: string, labels: string, n = 1): void {
    if (n === 0) return;
    let byLabels = this.counters[event];
    if (byLabels === undefined) {
      byLabels = {};
      this.counters[event] = byLabels;
    }
    byLabels[labels] = (byLabels[labels] ?? 0) + n;
  }

  /** Returns the deltas and starts over. */
  take(): Record<string, Record<string, number>> {
    const out = this.counters;
    this.counters = {};
    return out;
  }
}
