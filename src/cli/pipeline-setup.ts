/**
 * What `ingest` and `replay` share before consuming: config loading with every error at once,
 * the logger, and the search-engine preflight (version detection, templates installed and
 * verified before the first write).
 */

import type { WorkerSettings } from '../../workers/protocol.js';
import { redactConfig } from '../config/redact.js';
import type { Command as ConfigCommand, ConfigFor } from '../config/schema.js';
import { toWorkerSettings } from '../config/worker-settings.js';
import type { IngestNode, NodeOptions } from '../ingest/node.js';
import { groupInstanceId } from '../kafka/membership.js';
import { type PrepareOptions, prepareSearchEngine } from '../sink/elasticsearch/setup.js';
import { consumerFetchProperties } from '../source/kafka/fetch.js';
import type { Logger } from '../telemetry/logger.js';
import { loadCli } from './io.js';

export type Loaded<C extends ConfigCommand> = { config: ConfigFor<C>; log: Logger; configFile: string | undefined } | { exit: number };

export function loadOrExit<C extends 'ingest' | 'replay'>(command: C, argv: string[]): Loaded<C> {
  const loaded = loadCli(command, argv);
  if ('exit' in loaded) return loaded;
  const { config, log } = loaded;
  // What this run actually uses, once, secrets redacted: the answer to "which setting won?".
  log.info({ config: redactConfig(config), configFile: loaded.configFile }, 'configuration');
  return { config, log, configFile: loaded.configFile };
}

/** Detects the engine, installs/verifies templates, and derives the worker settings. */
export async function preflight(config: ConfigFor<'ingest'>, log: Logger, opts: PrepareOptions = {}): Promise<WorkerSettings> {
  // Stage 1 never writes to the search engine (its output is the keyed topic): no preflight.
  if (config.sink.kind !== 'elasticsearch' || config.stage === 'rekey')
    return toWorkerSettings(config, { supportsTypes: false, delimiter: '-' });
  return toWorkerSettings(config, await prepareSearchEngine(config.es, log, opts));
}

/** The node options both commands derive from the config; replay overrides the source and commits. */
export function nodeOptions(config: ConfigFor<'ingest'>, workerSettings: WorkerSettings): NodeOptions {
  const k = config.kafka;
  const stage = config.stage ?? 'single';
  return {
    stage,
    keyed: { topic: k.rekeyTopic, partitions: k.rekeyPartitions },
    source: {
      bootstrapServers: k.bootstrapServers,
      // Each stage is its own consumer group: stage 1 and stage 2 scale (and rebalance) apart.
      groupId: stage === 'single' ? k.groupId : `${k.groupId}.${stage}`,
      groupInstanceId: groupInstanceId(k.groupInstanceId),
      clientId: k.clientId,
      // Stage 2 reads the trace-keyed topic stage 1 writes; the others read the raw topics.
      topics: stage === 'assemble' ? [k.rekeyTopic] : [...k.topic],
      autoOffsetReset: k.autoOffsetReset,
      batchMaxMessages: k.batchMaxMessages,
      batchMaxBytes: k.batchMaxBytes,
      fetchWaitMs: k.fetchWaitMs,
      extra: {
        ...consumerFetchProperties({ batchMaxBytes: k.batchMaxBytes, maxOutstandingBytes: config.backpressure.maxOutstandingBytes }),
        ...k.librdkafka,
      },
    },
    deadLetterTopic: k.deadLetterTopic,
    deadLetter: 'kafka',
    workers: config.workers,
    workerSettings,
    commitIntervalMs: k.commitIntervalMs,
    partitionSkewMs: config.window.partitionSkewMs,
    backpressure: config.backpressure,
    admin: config.admin,
    http: config.http,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    sinkDownAfterMs: config.admin.sinkDownAfterMs,
    commit: true,
  };
}

/**
 * SIGTERM/SIGINT handling, installed before any slow start-up step: a signal during start-up
 * cancels the start; once a node runs, the first signal drains it and a second exits at once.
 */
export class SignalTrap {
  private node: IngestNode | undefined;
  private signals = 0;
  private readonly onSignal = (sig: NodeJS.Signals): void => {
    if (++this.signals > 1) {
      this.log.warn({ signal: sig }, 'second signal: exiting without draining (uncommitted work is redelivered)');
      process.exit(130);
    }
    if (this.node) void this.node.stop(sig);
    else this.log.info({ signal: sig }, 'signal during start-up: not starting');
  };

  constructor(private readonly log: Logger) {
    process.on('SIGTERM', this.onSignal);
    process.on('SIGINT', this.onSignal);
  }

  /** True when a signal arrived before a node was attached: the command should end now. */
  get cancelled(): boolean {
    return this.signals > 0 && this.node === undefined;
  }

  /** Starts the node and runs it to its end. */
  async run(node: IngestNode): Promise<void> {
    this.node = node;
    try {
      await node.start();
      await node.done;
    } finally {
      process.off('SIGTERM', this.onSignal);
      process.off('SIGINT', this.onSignal);
    }
  }
}
