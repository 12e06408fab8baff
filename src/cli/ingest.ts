import { formatError } from '../../core/errors.js';
import { redactConfig } from '../config/redact.js';
import { ConfigReloader } from '../config/reload.js';
import { IngestNode } from '../ingest/node.js';
import type { Command } from './main.js';
import { loadOrExit, nodeOptions, preflight, SignalTrap } from './pipeline-setup.js';

export const command: Command = {
  summary: 'run a long-lived ingest node',
  async run(argv) {
    const loaded = loadOrExit('ingest', argv);
    if ('exit' in loaded) return loaded.exit;
    const { config, log } = loaded;
    let reloader: ConfigReloader | undefined;
    const trap = new SignalTrap(log);
    let node: IngestNode | undefined;
    try {
      const workerSettings = await preflight(config, log, { createTodaysIndex: true });
      if (trap.cancelled) return 0;
      const running = new IngestNode(
        { ...nodeOptions(config, workerSettings), effectiveConfig: () => redactConfig(reloader?.config ?? config) },
        log,
      );
      node = running;
      reloader = new ConfigReloader(config, {
        command: 'ingest',
        argv,
        env: process.env,
        configFile: loaded.configFile,
        log,
        apply: (stages) => running.reconfigure(stages),
        count: (result) => running.metrics.configReloads.labels(result).inc(),
      });
      reloader.start();
      await trap.run(node);
      if (node.failed) return 1;
      // Nothing is lost (those records stay uncommitted and are redelivered), but a supervisor or
      // operator should see that the drain did not finish.
      const summary = await node.stop('done');
      return summary.unresolvedAtExit > 0 ? 1 : 0;
    } catch (err) {
      process.stderr.write(`${formatError(err)}\n`);
      if (node) await node.stop('startup failed').catch(() => undefined);
      return 2;
    } finally {
      reloader?.stop();
    }
  },
};
