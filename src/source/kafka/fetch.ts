/**
 * How far the Kafka consumer reads ahead of the pipeline. librdkafka pre-fetches into its consumer
 * queue up to `queued.max.messages.kbytes` (64 MiB by default) whatever the node's own limits, and
 * records waiting there are not yet outstanding, so backpressure cannot see them: with a backlog
 * far larger than the budget the queue filled to the top while the node was paused, and peak RSS
 * kept growing after the budget was full (bench memory, 10× burst against a 32 MiB budget: 382 MiB
 * at mid-window, 460 MiB at the end; with the queue at half the budget, 16 MiB: 377 and 407).
 * The read-ahead is therefore half the outstanding-bytes limit, at most librdkafka's default (the
 * default 256 MiB budget keeps it), and never less than one fetch. A `kafka.librdkafka` property
 * set by the user wins over both.
 */

/** librdkafka's own default for `queued.max.messages.kbytes`. */
const LIBRDKAFKA_QUEUE_KBYTES = 64 * 1024;

export interface ConsumerFetchLimits {
  /** `kafka.batchMaxBytes`: one fetch must be able to fill a batch. */
  batchMaxBytes: number;
  /** `backpressure.maxOutstandingBytes`. */
  maxOutstandingBytes: number;
}

/** `fetch.max.bytes`: one fetch fills at least a batch, and is never below 1 MiB. */
function fetchMaxBytes(limits: ConsumerFetchLimits): number {
  return Math.max(limits.batchMaxBytes, 1024 * 1024);
}

/** `queued.max.messages.kbytes`: half the budget, at most librdkafka's default, at least one fetch. */
function queueKbytes(limits: ConsumerFetchLimits): number {
  const half = Math.floor(limits.maxOutstandingBytes / 2 / 1024);
  return Math.max(Math.ceil(fetchMaxBytes(limits) / 1024), Math.min(LIBRDKAFKA_QUEUE_KBYTES, half));
}

/** The consumer's `fetch.max.bytes` and `queued.max.messages.kbytes` for these limits. */
export function consumerFetchProperties(limits: ConsumerFetchLimits): { 'fetch.max.bytes': string; 'queued.max.messages.kbytes': string } {
  return { 'fetch.max.bytes': String(fetchMaxBytes(limits)), 'queued.max.messages.kbytes': String(queueKbytes(limits)) };
}

/** Bytes the consumer queue may hold for these limits (before librdkafka's overshoot by one fetch). */
export function consumerQueueBytes(limits: ConsumerFetchLimits): number {
  return queueKbytes(limits) * 1024;
}
