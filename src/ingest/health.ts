/** The node's /health answer: DOWN on a fatal error or writes failing past the limit, DEGRADED while stopping. */
import type { HealthReport } from '../admin/server.js';
import type { Outstanding } from '../source/kafka/watermark.js';

export interface HealthInput {
  fatal: Error | undefined;
  stopping: boolean;
  sinkDown: { failingForMs: number; reason: string | null } | undefined;
  messages: number;
  outstanding: Outstanding;
  pausedPartitions: number;
  assignments: string[];
}

export function healthReport(h: HealthInput): HealthReport {
  return {
    status: h.fatal || h.sinkDown ? 'DOWN' : h.stopping ? 'DEGRADED' : 'UP',
    details: {
      sinkFailingForMs: h.sinkDown?.failingForMs,
      sinkError: h.sinkDown?.reason ?? undefined,
      messages: h.messages,
      outstandingMessages: h.outstanding.messages,
      outstandingBytes: h.outstanding.bytes,
      pausedPartitions: h.pausedPartitions,
      assignments: h.assignments,
      error: h.fatal?.message,
    },
  };
}
