/**
 * What the I/O phases need around the code under test: the local servers (reused when running,
 * started through infra/ otherwise, and then stopped again — never one the bench did not start),
 * plain-HTTP reads and cleanup of OpenSearch, Kafka topics, and /proc sampling of child processes.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { ensureKafka, ensureOpenSearch, InfraError, KAFKA_BOOTSTRAP, OPENSEARCH_URL, type ServerHandle, setSay } from '../infra/index.js';
import { ownedPid } from '../infra/server.js';
import { deleteTopic, ensureTopics } from '../src/kafka/admin.js';
import { KafkaProducer } from '../src/kafka/producer.js';
import { chunks } from './completion.js';
import type { MessageGen } from './traffic.js';

export const KAFKA = KAFKA_BOOTSTRAP;
export const OPENSEARCH = OPENSEARCH_URL;

/** Servers this run started (stopped at the end) and the cleanups it owes. */
export class Resources {
  private readonly started: ServerHandle[] = [];
  private readonly cleanups: { what: string; fn: () => Promise<void> }[] = [];

  constructor(private readonly progress: (line: string) => void) {
    setSay((line) => progress(`infra: ${line}`));
  }

  async ensure(kinds: readonly ('kafka' | 'opensearch')[]): Promise<void> {
    for (const kind of kinds) {
      let handle: ServerHandle;
      try {
        handle = kind === 'kafka' ? await ensureKafka() : await ensureOpenSearch();
      } catch (err) {
        const details = err instanceof InfraError && err.details ? `\n${err.details}` : '';
        throw new Error(
          `bench: cannot start ${kind} through infra/ (${(err as Error).message}); try \`npx tsx infra/cli.ts up\`${details}`,
        );
      }
      if (handle.outcome === 'started') this.started.push(handle);
    }
  }

  /** Registers a cleanup; they run last-in first-out, errors reported but not fatal. */
  onCleanup(what: string, fn: () => Promise<void>): void {
    this.cleanups.push({ what, fn });
  }

  async release(): Promise<void> {
    for (const c of this.cleanups.reverse()) {
      try {
        await c.fn();
      } catch (err) {
        this.progress(`cleanup of ${c.what} failed: ${(err as Error).message}`);
      }
    }
    this.cleanups.length = 0;
    for (const h of this.started.reverse()) {
      this.progress(`stopping ${h.name} (started by this bench run)`);
      await h.stop().catch((err: Error) => this.progress(`stopping ${h.name}: ${err.message}`));
    }
    this.started.length = 0;
  }
}

// ---- OpenSearch (plain fetch: independent of the code under test) ----

const IGNORE = 'allow_no_indices=true&ignore_unavailable=true';

async function os(method: string, path: string, body?: unknown, timeoutMs = 30_000): Promise<{ status: number; json: unknown }> {
  const init: RequestInit = { method, signal: AbortSignal.timeout(timeoutMs) };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { 'content-type': 'application/json' };
  }
  const res = await fetch(`${OPENSEARCH}${path}`, init);
  const text = await res.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    // Not JSON (rare error pages): keep the text.
  }
  return { status: res.status, json };
}

export async function countDocs(pattern: string, refresh = false): Promise<number> {
  if (refresh) await os('POST', `/${pattern}/_refresh?${IGNORE}`);
  const res = await os('GET', `/${pattern}/_count?${IGNORE}`, undefined, 10_000);
  const count = (res.json as { count?: unknown } | null)?.count;
  // An overloaded engine answers 429/5xx: that is "unknown", not zero documents (callers keep the last count).
  if (res.status !== 200 || typeof count !== 'number') {
    throw new Error(`_count on ${pattern} answered ${res.status}: ${JSON.stringify(res.json).slice(0, 200)}`);
  }
  return count;
}

/**
 * Which of `ids` are in the indices of `pattern`, after a refresh, and the refreshed `_count`:
 * `ids` queries in chunks (each under the default 10,000-hit result window), IDs only.
 */
export async function storedIds(
  pattern: string,
  ids: readonly string[],
  chunkSize = 5_000,
): Promise<{ found: Set<string>; count: number }> {
  await os('POST', `/${pattern}/_refresh?${IGNORE}`);
  const found = new Set<string>();
  for (const chunk of chunks(ids, chunkSize)) {
    const res = await os(
      'POST',
      `/${pattern}/_search?${IGNORE}&filter_path=hits.hits._id`,
      { query: { ids: { values: chunk } }, size: chunk.length, _source: false, track_total_hits: false },
      60_000,
    );
    if (res.status !== 200) throw new Error(`ids lookup on ${pattern} answered ${res.status}: ${JSON.stringify(res.json).slice(0, 200)}`);
    for (const h of (res.json as { hits?: { hits?: { _id: string }[] } }).hits?.hits ?? []) found.add(h._id);
  }
  return { found, count: await countDocs(pattern) };
}

/** Writes the engine refused since it started (write thread pool `rejected`, summed over nodes): its 429s. */
export async function writeRejections(): Promise<number> {
  const res = await os('GET', '/_nodes/stats/thread_pool?filter_path=nodes.*.thread_pool.write.rejected', undefined, 10_000);
  const nodes = (res.json as { nodes?: Record<string, { thread_pool?: { write?: { rejected?: number } } }> }).nodes ?? {};
  let n = 0;
  for (const node of Object.values(nodes)) n += node.thread_pool?.write?.rejected ?? 0;
  return n;
}

/**
 * Waits until the engine's write pool has nothing active or queued on two polls in a row (at most
 * `maxMs`), so one turn does not start while the engine still works through the last one's
 * requests — a side that timed out and dropped requests leaves them running in the engine. The
 * engine is shared with other work, so this is bounded; returns the seconds waited and whether
 * it was quiet.
 */
export async function waitEngineQuiet(maxMs = 30_000): Promise<{ seconds: number; quiet: boolean }> {
  const t0 = performance.now();
  let calm = 0;
  while (performance.now() - t0 < maxMs) {
    const res = await os('GET', '/_nodes/stats/thread_pool?filter_path=nodes.*.thread_pool.write', undefined, 10_000).catch(
      () => undefined,
    );
    const nodes = (res?.json as { nodes?: Record<string, { thread_pool?: { write?: { active?: number; queue?: number } } }> } | undefined)
      ?.nodes;
    const busy =
      nodes === undefined
        ? 1
        : Object.values(nodes).reduce((n, x) => n + (x.thread_pool?.write?.active ?? 0) + (x.thread_pool?.write?.queue ?? 0), 0);
    calm = busy === 0 ? calm + 1 : 0;
    if (calm >= 2) return { seconds: (performance.now() - t0) / 1000, quiet: true };
    await new Promise((r) => setTimeout(r, 250));
  }
  return { seconds: (performance.now() - t0) / 1000, quiet: false };
}

export async function openSearchVersion(): Promise<string> {
  const res = await os('GET', '/');
  const v = (res.json as { version?: { distribution?: string; number?: string } }).version;
  return `${v?.distribution ?? 'unknown'} ${v?.number ?? '?'}`;
}

/** Deletes the indices and index templates (legacy and composable) of an index prefix. */
export async function deleteIndexPrefix(prefix: string): Promise<void> {
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(prefix)) throw new Error(`refusing to delete indices of odd prefix ${JSON.stringify(prefix)}`);
  await os('DELETE', `/${prefix}-*?${IGNORE}&expand_wildcards=all`);
  for (const kind of ['_template', '_index_template'] as const) {
    const res = await os('GET', `/${kind}/${prefix}*`);
    if (res.status !== 200) continue;
    const names =
      kind === '_template'
        ? Object.keys(res.json as Record<string, unknown>)
        : ((res.json as { index_templates?: { name: string }[] }).index_templates ?? []).map((t) => t.name);
    for (const name of names) if (name.startsWith(prefix)) await os('DELETE', `/${kind}/${name}`);
  }
}

// ---- Kafka ----

export async function createTopic(topic: string, partitions: number): Promise<void> {
  await ensureTopics(KAFKA, [{ topic, partitions }]);
}

export async function dropTopic(topic: string): Promise<void> {
  await deleteTopic(KAFKA, topic);
}

export interface Preloaded {
  spans: number;
  messages: number;
  bytes: number;
  expectedDocs: number;
  seconds: number;
}

/** Produces at least `spans` spans (whole traces) from `gen`, in chunks so memory stays flat. */
export async function preload(topic: string, gen: MessageGen, spans: number, progress: (line: string) => void): Promise<Preloaded> {
  const producer = await KafkaProducer.connect(KAFKA);
  const t0 = performance.now();
  const docs0 = gen.gen.expectedDocs;
  let done = 0;
  let messages = 0;
  let bytes = 0;
  let lastReport = t0;
  try {
    while (done < spans) {
      const m = gen.messages(Math.min(20_000, spans - done));
      await Promise.all(m.values.map((v) => producer.send({ topic, value: Buffer.from(v.buffer, v.byteOffset, v.byteLength) })));
      done += m.spans;
      messages += m.values.length;
      bytes += m.bytes;
      if (performance.now() - lastReport > 5000) {
        lastReport = performance.now();
        progress(`  pre-loading ${topic}: ${done}/${spans} spans`);
      }
    }
  } finally {
    await producer.close();
  }
  return { spans: done, messages, bytes, expectedDocs: gen.gen.expectedDocs - docs0, seconds: (performance.now() - t0) / 1000 };
}

// ---- processes ----

let clockTicks: number | undefined;

function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    const n = Number(out.stdout?.trim());
    clockTicks = Number.isInteger(n) && n > 0 ? n : 100;
  }
  return clockTicks;
}

export interface ProcSample {
  /** user + system CPU seconds of every thread of the process. */
  cpuSeconds: number;
  rssBytes: number;
  /** Peak resident set (VmHWM) so far. */
  hwmBytes: number;
  /** Seconds its threads spent runnable but waiting for a CPU (see `runQueueSeconds`). */
  waitSeconds: number;
}

/**
 * Time the threads of a process spent runnable but waiting for a CPU (the run queue), summed over
 * its live threads, from /proc/<pid>/task/<tid>/schedstat (cpu ns, wait ns, slices). On a shared
 * machine this says how much of a wall-clock figure was lost to other work.
 */
export function runQueueSeconds(pid: number | 'self' = 'self'): number {
  let ns = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1]) || 0;
      } catch {
        // The thread ended meanwhile.
      }
    }
  } catch {
    return Number.NaN;
  }
  return ns / 1e9;
}

/** CPU seconds (user + system) of each live thread of this process, by thread id. */
export function threadCpuSeconds(): Map<number, number> {
  const out = new Map<number, number>();
  const tick = ticksPerSecond();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), (Number(f[11]) + Number(f[12])) / tick);
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out;
}

/** CPU and memory of a live process from /proc, or undefined once it is gone. */
export function procSample(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    // A zombie (dead, not yet reaped by whoever launched it) has no memory left to measure.
    if (/^State:\s+[ZX]/m.test(status)) return undefined;
    const kb = (key: string): number => {
      const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
      return m ? Number(m[1]) * 1024 : 0;
    };
    // An exiting process has already given back its memory: no figure rather than a zero.
    if (kb('VmHWM') === 0) return undefined;
    return {
      cpuSeconds: (utime + stime) / ticksPerSecond(),
      rssBytes: kb('VmRSS'),
      hwmBytes: kb('VmHWM'),
      waitSeconds: runQueueSeconds(pid),
    };
  } catch {
    return undefined;
  }
}

/** A TCP port free right now on 127.0.0.1, from the kernel (or the first free one in a range). */
export async function freePort(range?: [number, number]): Promise<number> {
  const tryPort = (port: number): Promise<number | undefined> =>
    new Promise((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(undefined));
      srv.listen(port, '127.0.0.1', () => {
        const addr = srv.address();
        const p = typeof addr === 'object' && addr !== null ? addr.port : undefined;
        srv.close(() => resolve(p));
      });
    });
  if (range === undefined) {
    const p = await tryPort(0);
    if (p === undefined) throw new Error('no free port');
    return p;
  }
  for (let p = range[0]; p <= range[1]; p++) {
    const got = await tryPort(p);
    if (got !== undefined) return got;
  }
  throw new Error(`no free port in ${range[0]}-${range[1]}`);
}

/**
 * Sums of Prometheus samples from `url`, one per name (optionally only lines containing `filter`,
 * e.g. a label); undefined when the endpoint does not answer (yet). A name may carry one label of
 * its own, `name{label="value"}`: then only that metric's series with that label are summed.
 */
export async function scrapeSums(url: string, names: readonly string[], filter = ''): Promise<number[] | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    if (res.status !== 200) return undefined;
    const text = await res.text();
    const selectors = names.map((n) => {
      const brace = n.indexOf('{');
      return brace < 0 ? { name: n, label: '' } : { name: n.slice(0, brace), label: n.slice(brace + 1, n.lastIndexOf('}')) };
    });
    const sums = names.map(() => 0);
    for (const line of text.split('\n')) {
      if (line.startsWith('#') || (filter !== '' && !line.includes(filter))) continue;
      selectors.forEach(({ name, label }, i) => {
        if (!line.startsWith(name) || (line[name.length] !== '{' && line[name.length] !== ' ')) return;
        if (label !== '' && !line.slice(name.length, line.lastIndexOf('}') + 1).includes(label)) return;
        sums[i] = (sums[i] as number) + (Number(line.slice(line.lastIndexOf(' ') + 1)) || 0);
      });
    }
    return sums;
  } catch {
    return undefined;
  }
}

export function uniqueId(): string {
  return `${Date.now().toString(36)}${Math.floor(Math.random() * 36 ** 3).toString(36)}`;
}

/** CPU seconds the search engine the bench writes to (OPENSEARCH) has used; undefined when it is not a local infra/ process. */
export function engineCpuSeconds(): number | undefined {
  const pid = ownedPid('opensearch');
  return pid === undefined ? undefined : procSample(pid)?.cpuSeconds;
}
