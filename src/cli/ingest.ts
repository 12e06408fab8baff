import { formatError } from '../errors.js';
import { IngestNode } from '../ingest/node.js';
import type { Command } from './main.js';
import { loadOrExit, preflight } from './pipeline-setup.js';

export const command: Command = {
  summary: 'run a long-lived ingest node',
  async run(argv) {
    const loaded = loadOrExit('ingest', argv);
    if ('exit' in loaded) return loaded.exit;
    const { config, log } = loaded;
    let node: IngestNode | undefined;
    try {
      const workerSettings = await preflight(config, log);
      const k = config.kafka;
      node = new IngestNode(
        {
          source: {
            bootstrapServers: k.bootstrapServers,
            groupId: k.groupId,
            clientId: k.clientId,
            topics: [...k.topic],
            autoOffsetReset: k.autoOffsetReset,
            batchMaxMessages: k.batchMaxMessages,
            fetchWaitMs: k.fetchWaitMs,
            extra: { 'fetch.max.bytes': String(Math.max(k.batchMaxBytes, 1024 * 1024)), ...k.librdkafka },
          },
          deadLetterTopic: k.deadLetterTopic,
          workers: config.workers,
          workerSettings,
          commitIntervalMs: k.commitIntervalMs,
          backpressure: config.backpressure,
          admin: config.admin,
          http: config.http,
          shutdownTimeoutMs: config.shutdownTimeoutMs,
          commit: true,
        },
        log,
      );
      const n = node;
      let signals = 0;
      const onSignal = (sig: NodeJS.Signals): void => {
        if (++signals > 1) {
          log.warn({ signal: sig }, 'second signal: exiting without draining (uncommitted work is redelivered)');
          process.exit(130);
        }
        void n.stop(sig);
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      await n.start();
      await n.done;
      return n.failed ? 1 : 0;
    } catch (err) {
      process.stderr.write(`${formatError(err)}\n`);
      if (node) await node.stop('startup failed').catch(() => undefined);
      return 2;
    }
  },
};
