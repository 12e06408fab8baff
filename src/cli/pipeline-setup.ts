/**
 * What `ingest` and `replay` share before consuming: config loading with every error at once,
 * the logger, and the search-engine preflight (version detection, templates installed and
 * verified before the first write).
 */

import type { WorkerSettings } from '../../workers/protocol.js';
import { createSearchClient, detectVersion } from '../../workers/sink/elasticsearch/client.js';
import { loadConfig } from '../config/load.js';
import type { Command as ConfigCommand, ConfigFor } from '../config/schema.js';
import { toWorkerSettings } from '../config/worker-settings.js';
import { ensureTemplates } from '../sink/elasticsearch/templates.js';
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
  const { es } = config;
  const client = createSearchClient({
    hosts: [...es.hosts],
    timeoutMs: es.timeoutMs,
    ...(es.username !== undefined ? { username: es.username } : {}),
    ...(es.password !== undefined ? { password: es.password } : {}),
  });
  try {
    const version = await detectVersion(client);
    log.info({ distribution: version.distribution, version: version.number }, 'search engine detected');
    if (es.ensureTemplates) {
      const result = await ensureTemplates(client, version, {
        index: es.index,
        shards: es.indexShards,
        replicas: es.indexReplicas,
        searchEnabled: es.searchEnabled,
        strictTraceId: es.strictTraceId,
        dateSeparator: es.dateSeparator,
        ...(es.templatePriority !== undefined ? { priority: es.templatePriority } : {}),
      });
      for (const w of result.warnings) log.warn(w);
    }
    return toWorkerSettings(config, { supportsTypes: version.supportsTypes, delimiter: version.delimiter });
  } finally {
    await client.close();
  }
}
