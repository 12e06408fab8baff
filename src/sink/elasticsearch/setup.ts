/**
 * The coordinator's part of the Elasticsearch/OpenSearch sink: before any worker writes, detect the
 * engine (its version decides `_type` and the index delimiter) and install and verify Zipkin's
 * templates. The writing itself is the workers' (workers/encode, workers/sink/elasticsearch).
 */

import { createSearchClient, detectVersion } from '../../../core/elasticsearch/client.js';
import type { ConfigFor } from '../../config/schema.js';
import { searchTls } from '../../config/worker-settings.js';
import type { Logger } from '../../telemetry/logger.js';
import { createTodaysSpanIndex, ensureTemplates } from './templates.js';

/** What the workers need to know of the engine to write documents it accepts. */
export interface EngineTraits {
  supportsTypes: boolean;
  delimiter: string;
}

export interface PrepareOptions {
  /** Create today's span index ahead of the first write (a live node; not a replay of other days). */
  createTodaysIndex?: boolean;
}

export async function prepareSearchEngine(es: ConfigFor<'ingest'>['es'], log: Logger, opts: PrepareOptions = {}): Promise<EngineTraits> {
  const client = createSearchClient({
    hosts: [...es.hosts],
    timeoutMs: es.timeoutMs,
    ...(es.username !== undefined ? { username: es.username } : {}),
    ...(es.password !== undefined ? { password: es.password } : {}),
    ...(es.apiKey !== undefined ? { apiKey: es.apiKey } : {}),
    tls: searchTls(es),
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
      if (opts.createTodaysIndex) {
        const day = await createTodaysSpanIndex(client, version, { index: es.index, dateSeparator: es.dateSeparator });
        if (day.error !== undefined)
          log.info({ index: day.index, err: day.error }, "today's span index not created ahead: the first write creates it");
        else log.debug({ index: day.index, created: day.created }, "today's span index ready");
      }
    }
    return { supportsTypes: version.supportsTypes, delimiter: version.delimiter };
  } finally {
    await client.close();
  }
}
