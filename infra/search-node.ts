import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOST } from './config.js';
import { InfraError } from './errors.js';
import type { ArtifactSet } from './fetch.js';
import { fetchArtifacts } from './fetch.js';
import { field, getJson } from './http.js';
import { RUNNER_FAILED, RUNNER_MAIN_CLASS, runnerMainDir } from './runner-main.js';
import { dataDir, type Kind, type ServerSpec } from './server.js';

/**
 * OpenSearch and Elasticsearch both run through codelibs' embedded "cluster runner", which takes
 * the same flags and reads node settings only from <basePath>/node_1/config/<configName>.
 */
export interface SearchNodeOptions {
  name: string;
  kind: Extract<Kind, 'opensearch' | 'elasticsearch'>;
  port: number;
  artifacts: ArtifactSet;
  mainClass: string;
  configName: 'opensearch.yml' | 'elasticsearch.yml';
  version: string;
  heap: string;
  extraJvmArgs: string[];
  /** Tells this distribution apart from the other one answering `GET /`. */
  isExpected(root: unknown): boolean;
}

async function searchHealthy(opts: SearchNodeOptions): Promise<boolean> {
  const base = `http://${HOST}:${opts.port}`;
  const root = await getJson(base, 2000);
  if (root?.status !== 200 || !opts.isExpected(root.body)) return false;
  const health = await getJson(`${base}/_cluster/health?wait_for_status=yellow&timeout=1s`, 4000);
  const status = field(health?.body, 'status');
  return health?.status === 200 && (status === 'yellow' || status === 'green');
}

/** The runner refuses HTTP ports above this (its maxHttpPort) and exits without saying why. */
const RUNNER_MAX_HTTP_PORT = 9299;

export function searchNodeSpec(opts: SearchNodeOptions): ServerSpec {
  if (opts.port > RUNNER_MAX_HTTP_PORT) {
    throw new InfraError(
      `${opts.name} port ${opts.port} is too high: the embedded runner only serves HTTP on ports <= ${RUNNER_MAX_HTTP_PORT}`,
    );
  }
  const basePath = dataDir(opts.name);
  const nodeHome = join(basePath, 'node_1');
  return {
    name: opts.name,
    kind: opts.kind,
    host: HOST,
    port: opts.port,
    ports: [opts.port],
    url: `http://${HOST}:${opts.port}`,
    fingerprint: JSON.stringify({ v: opts.version, port: opts.port }),
    startTimeoutMs: 180_000,
    stopTimeoutMs: 30_000,
    healthy: () => searchHealthy(opts),
    exitHint: `see the node logs below; a busy port or ${opts.configName}?`,
    checkStartup(log) {
      const failed = RUNNER_FAILED.exec(log)?.[1];
      if (failed !== undefined) return `runner failed: ${failed}`;
      // The runner silently moves to the next free port (it probes `localhost`, we bind 127.0.0.1).
      const chosen = /HTTP Port:\s+(\d+)/.exec(log)?.[1];
      if (chosen !== undefined && Number(chosen) !== opts.port) {
        return `runner chose HTTP port ${chosen} instead of ${opts.port} (port busy on localhost?)`;
      }
      return undefined;
    },
    extraLogs() {
      const logs = join(nodeHome, 'logs');
      if (!existsSync(logs)) return [];
      return readdirSync(logs)
        .filter((f) => f.endsWith('.log') && !f.endsWith('_deprecation.log'))
        .map((f) => join(logs, f));
    },
    async prepare() {
      const lib = await fetchArtifacts(opts.artifacts);
      const launcher = await runnerMainDir();
      const config = join(nodeHome, 'config');
      mkdirSync(config, { recursive: true });
      writeFileSync(
        join(config, opts.configName),
        [
          `network.host: ${HOST}`,
          'discovery.type: single-node',
          // Dev machines and CI runners often have >90% full disks; never go read-only over it.
          'cluster.routing.allocation.disk.threshold_enabled: false',
          '',
        ].join('\n'),
      );
      return {
        jvmArgs: [
          `-Xms${opts.heap}`,
          `-Xmx${opts.heap}`,
          '-XX:+UseG1GC',
          '-Djava.awt.headless=true',
          '-Dfile.encoding=UTF-8',
          '-Dlog4j2.formatMsgNoLookups=true',
          '-Dlog4j.shutdownHookEnabled=false',
          '-Dlog4j2.disable.jmx=true',
          '-Dio.netty.noUnsafe=true',
          '-Dio.netty.noKeySetOptimization=true',
          '-Dio.netty.recycler.maxCapacityPerThread=0',
          ...opts.extraJvmArgs,
          `-Dtracefold.runner=${opts.mainClass}`,
          '-cp',
          launcher ? `${launcher}:${join(lib, '*')}` : join(lib, '*'),
        ],
        // The runner adds 1 (the node number) to the base port.
        mainArgs: [
          launcher ? RUNNER_MAIN_CLASS : opts.mainClass,
          '-basePath',
          basePath,
          '-numOfNode',
          '1',
          '-baseHttpPort',
          String(opts.port - 1),
          '-clusterName',
          'tracefold',
        ],
      };
    },
  };
}

export function distribution(root: unknown): unknown {
  return field(root, 'version', 'distribution');
}
