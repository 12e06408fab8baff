import { existsSync } from 'node:fs';
import { SEARCH_ENGINE } from './config.js';
import { InfraError } from './errors.js';
import {
  assertServerNames,
  cleanServers,
  DEFAULT_SERVERS,
  ensureElasticsearch,
  ensureKafka,
  ensureOpenSearch,
  fetchServers,
  logFile,
  type ServerHandle,
  type ServerName,
  startZipkin,
  status,
  stopServers,
} from './index.js';
import { tailFile } from './proc.js';
import { say } from './say.js';

export interface CommandOptions {
  zipkinKafkaTopic: string | undefined;
  lines: number;
}

const ENSURE: Record<Exclude<ServerName, 'zipkin'>, () => Promise<ServerHandle>> = {
  kafka: ensureKafka,
  opensearch: ensureOpenSearch,
  elasticsearch: ensureElasticsearch,
};

/** Settles every start, then reports all failures: one broken server must not hide another. */
async function startAll(starts: (() => Promise<ServerHandle>)[]): Promise<void> {
  const results = await Promise.allSettled(starts.map((s) => s()));
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
  if (failures.length === 0) return;
  for (const extra of failures.slice(1)) {
    const e = extra as { message?: string; details?: string };
    process.stderr.write(`error: ${e.message ?? String(extra)}\n${e.details ? `${e.details}\n` : ''}`);
  }
  throw failures[0];
}

async function up(names: ServerName[], opts: CommandOptions): Promise<void> {
  const wanted = names.length > 0 ? names : [...DEFAULT_SERVERS];
  if (opts.zipkinKafkaTopic && !wanted.includes('zipkin')) throw new InfraError('--zipkin-kafka-topic only applies when starting zipkin');
  const needKafka = wanted.includes('kafka') || (wanted.includes('zipkin') && opts.zipkinKafkaTopic !== undefined);
  const first: ServerName[] = [];
  if (needKafka) first.push('kafka');
  // The default Zipkin reads the engine TRACEFOLD_SEARCH chose; either engine may also be named.
  for (const engine of ['opensearch', 'elasticsearch'] as const) {
    if (wanted.includes(engine) || (wanted.includes('zipkin') && engine === SEARCH_ENGINE)) first.push(engine);
  }
  for (const dep of first) if (!wanted.includes(dep)) say(`${dep}: needed by zipkin, making sure it runs`);
  await fetchServers([...first, ...(wanted.includes('zipkin') ? (['zipkin'] as const) : [])]);
  await startAll(first.map((n) => ENSURE[n as Exclude<ServerName, 'zipkin'>]));
  if (wanted.includes('zipkin')) {
    // Its dependencies were ensured just above.
    await startZipkin(opts.zipkinKafkaTopic ? { kafkaTopic: opts.zipkinKafkaTopic } : {}, { dependencies: false });
  }
}

async function printStatus(): Promise<void> {
  const rows = await status();
  for (const r of rows) {
    const pid = r.pid !== undefined ? `pid ${r.pid}` : '';
    process.stdout.write(`${r.name.padEnd(16)} ${r.state.padEnd(10)} ${pid.padEnd(11)} ${r.url}\n`);
  }
}

export async function run(command: string, names: string[], opts: CommandOptions): Promise<number> {
  switch (command) {
    case 'up':
      await up(assertServerNames(names), opts);
      await printStatus();
      return 0;
    case 'down': {
      const stopped = await stopServers(names.length > 0 ? names : undefined);
      say(stopped.length > 0 ? `stopped: ${stopped.join(', ')}` : 'nothing to stop');
      return 0;
    }
    case 'status':
      await printStatus();
      return 0;
    case 'logs': {
      const [name] = names;
      if (name === undefined || names.length > 1) throw new InfraError('usage: logs <name> [-n N]');
      const file = logFile(name);
      if (!existsSync(file)) throw new InfraError(`no log for ${name} at ${file}`);
      process.stderr.write(`==> ${file} <==\n`);
      process.stdout.write(`${tailFile(file, opts.lines)}\n`);
      return 0;
    }
    case 'fetch':
      await fetchServers(names.length > 0 ? assertServerNames(names) : DEFAULT_SERVERS);
      say('artifacts are in the cache');
      return 0;
    case 'clean':
      await cleanServers(names.length > 0 ? names : undefined);
      say('server data deleted');
      return 0;
    default:
      throw new InfraError(`unknown command "${command}" (see --help)`);
  }
}
