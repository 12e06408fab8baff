export function sumOf(r: Record<string, number>): number {
  let n = 0;
  for (const v of Object.values(r)) n += v;
  return n;
}

/** The end-of-replay report, built from the node's counters (printed as text or `--json`). */
export interface ReplaySummary {
  topic: string;
  partitions: number[];
  dryRun: boolean;
  sink: string;
  messages: number;
  bytes: number;
  spans: number;
  traces: number;
  /** Decode errors and search-engine rejections, by reason. */
  quarantined: Record<string, number>;
  filtered: Record<string, number>;
  /** With sampling policies: spans of kept traces, by the policy that kept them (empty without policies: all kept). */
  kept: Record<string, number>;
  /** With sampling policies: spans of traces no policy kept. */
  sampledOut: number;
  /** Spans that arrived after their trace was flushed and decided (they follow its decision): traces assembled in pieces. */
  lateSpans: number;
  /** Spans acknowledged by the sink (or, in a dry run, that would have been written). */
  written: number;
  deadLettered: number;
  /** Records whose spans were not all resolved when the replay ended. */
  unresolvedMessages: number;
  durationMs: number;
  spansPerSecond: number;
  messagesPerSecond: number;
  ok: boolean;
}

export function formatSummary(s: ReplaySummary): string {
  const kv = (r: Record<string, number>): string =>
    Object.keys(r).length === 0
      ? 'none'
      : Object.entries(r)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ');
  return [
    `replay of ${s.topic} [partitions ${s.partitions.join(',')}]${s.dryRun ? ' (dry run: nothing written)' : ''} → ${s.sink}`,
    `  messages      ${s.messages} (${(s.bytes / 1048576).toFixed(1)} MiB)`,
    `  spans         ${s.spans} in ${s.traces} traces${s.lateSpans > 0 ? ` (${s.lateSpans} spans arrived after their trace was decided)` : ''}`,
    `  quarantined   ${kv(s.quarantined)}`,
    `  filtered      ${kv(s.filtered)}`,
    Object.keys(s.kept).length === 0 && s.sampledOut === 0
      ? '  sampling      none (every trace kept)'
      : `  sampling      kept ${kv(s.kept)} spans; sampled out ${s.sampledOut} spans`,
    `  ${s.dryRun ? 'would write' : 'written    '}   ${s.written} spans; dead-lettered ${s.deadLettered} records`,
    `  duration      ${(s.durationMs / 1000).toFixed(1)} s, ${s.spansPerSecond.toFixed(0)} spans/s, ${s.messagesPerSecond.toFixed(0)} messages/s`,
    s.ok
      ? '  result        ok'
      : `  result        FAILED: ${s.unresolvedMessages} messages not fully written, ${s.quarantined.rejected ?? 0} spans rejected`,
    '',
  ].join('\n');
}
