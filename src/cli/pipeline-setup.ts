/**
 * What `ingest` and `replay` share before consuming: config loading with every error at once,
 * the logger, and the search-engine preflight (version detection, templates installed and
 * verified before the first write).
 */

import type { WorkerSettings } from '../../workers/protocol.js';
import { loadConfig } from '../config/load.js';
import type { Command as ConfigCommand, ConfigFor } from '../config/schema.js';
import { toWorkerSettings } from '../config/worker-settings.js';
import type { IngestNode, NodeOptions } from '../ingest/node.js';
import { groupInstanceId } from '../kafka/membership.js';
import { prepareSearchEngine } from '../sink/elasticsearch/setup.js';
import { createLogger, type Logger } from '../telemetry/logger.js';

export type Loaded<C extends ConfigCommand> = { config: ConfigFor<C>; log: Logger } | { exit: number };

export function loadOrExit<C extends 'ingest' | 'replay'>(command: C, argv: string[]): Loaded<C> {
  const result = loadConfig({ command, argv, env: process.env });
  if (!result.ok) {
    if (result.help !== undefined) {
      process.stdout.write(result.help);
      return { exit: 0 };
    }
    for (const e of result.errors) process.stderr.write(`tracefold ${command}: ${e}\n`);
    process.stderr.write(`(see \`tracefold ${command} --help\`)\n`);
    return { exit: 2 };
  }
  const config = result.config as ConfigFor<C>;
  const log = createLogger(config.log.level);
  for (const w of result.warnings) log.warn(w);
  return { config, log };
}

/** Detects the engine, installs/verifies templates, and derives the worker settings. */
export async function preflight(config: ConfigFor<'ingest'>, log: Logger): Promise<WorkerSettings> {
  if (config.sink.kind !== 'elasticsearch') return toWorkerSettings(config, { supportsTypes: false, delimiter: '-' });
  return toWorkerSettings(config, await prepareSearchEngine(config.es, log));
}

/** The node options both commands derive from the config; replay overrides the source and commits. */
export function nodeOptions(config: ConfigFor<'ingest'>, workerSettings: WorkerSettings): NodeOptions {
  const k = config.kafka;
  return {
    source: {
      bootstrapServers: k.bootstrapServers,
      groupId: k.groupId,
      groupInstanceId: groupInstanceId(k.groupInstanceId),
      clientId: k.clientId,
      topics: [...k.topic],
      autoOffsetReset: k.autoOffsetReset,
      batchMaxMessages: k.batchMaxMessages,
      fetchWaitMs: k.fetchWaitMs,
      extra: { 'fetch.max.bytes': String(Math.max(k.batchMaxBytes, 1024 * 1024)), ...k.librdkafka },
    },
    deadLetterTopic: k.deadLetterTopic,
    deadLetter: 'kafka',
    workers: config.workers,
    workerSettings,
    commitIntervalMs: k.commitIntervalMs,
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
