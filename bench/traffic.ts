/**
 * Benchmark traffic: copies of the shared real traces with fresh IDs (and, for anything that
 * reaches OpenSearch, timestamps moved to now so every run writes today's index), cut into Kafka
 * messages of a chosen encoding and spans-per-message, and grouped into the batches the Kafka
 * source hands to workers.
 *
 * The mix is the shared traces round-robin, one copy of each per round, like
 * test/helpers/traffic.ts `syntheticTraces`: most spans therefore come from the one large trace
 * (1 041 of 1 100 spans). Results say so; the memory phase also measures a small-traces-only mix.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeJsonV2 } from '../core/codec/decode/json-v2.js';
import { ENCODERS } from '../core/codec/formats.js';
import type { Span, ZipkinEncoding } from '../core/model/span.js';
import { createPrng, type Prng } from '../test/helpers/prng.js';
import { copyTrace } from '../test/helpers/traffic.js';
import { documentId, spanDocument } from '../workers/encode/es-document.js';

/** The repository root, from source (bench/) or compiled (dist/bench/). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'tracefold') return dir;
    dir = dirname(dir);
  }
  throw new Error(`cannot find the tracefold package root above ${fileURLToPath(import.meta.url)}`);
}

export function samplesDir(): string {
  return resolve(process.env.TRACEFOLD_SAMPLES ?? join(repoRoot(), '..', 'shared', 'testdata', 'zipkin-v2'));
}

export interface BaseTrace {
  name: string;
  spans: Span[];
  /** Earliest timestamp (µs) of the trace, to move copies in time. */
  minTs: number;
  /** Distinct Zipkin documents the trace makes (identical spans share a document `_id`). */
  distinctDocs: number;
}

/** The shared traces (same reading as test/helpers/traffic.ts `sharedTraces`, from source or dist). */
export function loadBaseTraces(filter: (name: string, spans: number) => boolean = () => true): BaseTrace[] {
  const dir = samplesDir();
  const names = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  if (names.length === 0) throw new Error(`no shared traces in ${dir} (set TRACEFOLD_SAMPLES)`);
  const out: BaseTrace[] = [];
  for (const name of names) {
    let bytes = readFileSync(join(dir, name));
    if (bytes.toString('utf8').trimStart().startsWith('{')) bytes = Buffer.concat([Buffer.from('['), bytes, Buffer.from(']')]);
    const result = decodeJsonV2(bytes);
    if (result.errors.length > 0) throw new Error(`${name}: ${result.errors[0]?.reason}`);
    if (!filter(name, result.spans.length)) continue;
    let minTs = Number.POSITIVE_INFINITY;
    for (const s of result.spans) if (s.timestamp !== undefined && s.timestamp < minTs) minTs = s.timestamp;
    const docs = new Set(result.spans.map((s) => documentId(s.traceId, spanDocument(s, true))));
    out.push({ name, spans: result.spans, minTs: Number.isFinite(minTs) ? minTs : 0, distinctDocs: docs.size });
  }
  return out;
}

export interface TraceGenOptions {
  seed: number;
  /** When set, each copy is moved so it starts at this time (µs); called once per trace. */
  startMicros?: () => number;
  /** Tags added to every span (e.g. the produce time for latency). */
  tags?: () => Record<string, string>;
  /** Collect the `_id` of every document the traces make (a run's completion is checked against them). */
  collectIds?: boolean;
}

/** An endless stream of distinct traces: the base traces round-robin, each copy with new IDs. */
export class TraceGen {
  private readonly prng: Prng;
  private next = 0;
  traces = 0;
  spans = 0;
  expectedDocs = 0;
  /** Every document `_id` so far, when `collectIds` is set. */
  readonly ids: Set<string> | undefined;

  constructor(
    private readonly bases: readonly BaseTrace[],
    private readonly opts: TraceGenOptions,
  ) {
    if (bases.length === 0) throw new Error('no base traces');
    this.prng = createPrng(opts.seed);
    this.ids = opts.collectIds ? new Set() : undefined;
  }

  trace(): Span[] {
    const base = this.bases[this.next] as BaseTrace;
    this.next = (this.next + 1) % this.bases.length;
    const shift = this.opts.startMicros && base.minTs > 0 ? this.opts.startMicros() - base.minTs : 0;
    const spans = copyTrace(base.spans, this.prng, shift);
    const tags = this.opts.tags?.();
    if (tags) for (const s of spans) s.tags = { ...s.tags, ...tags };
    this.traces++;
    this.spans += spans.length;
    this.expectedDocs += base.distinctDocs;
    // Document IDs are deterministic (traceId-md5(document)), so a run can be checked ID by ID.
    if (this.ids !== undefined) for (const s of spans) this.ids.add(documentId(s.traceId, spanDocument(s, true)));
    return spans;
  }
}

/** Kafka record values: `spansPerMessage` spans each, cut from a stream of whole traces. */
export class MessageGen {
  private pending: Span[] = [];
  private readonly encode: (spans: readonly Span[]) => Uint8Array;

  constructor(
    readonly gen: TraceGen,
    readonly encoding: ZipkinEncoding,
    readonly spansPerMessage: number,
  ) {
    this.encode = ENCODERS[encoding];
  }

  /** Messages holding at least `spans` more spans (whole traces: a trace is never cut short). */
  messages(spans: number): Messages {
    const values: Uint8Array[] = [];
    const counts: number[] = [];
    let count = 0;
    let bytes = 0;
    const target = this.gen.spans + spans;
    while (this.gen.spans < target) this.pending.push(...this.gen.trace());
    for (let i = 0; i < this.pending.length; i += this.spansPerMessage) {
      const chunk = this.pending.slice(i, i + this.spansPerMessage);
      const v = this.encode(chunk);
      values.push(v);
      counts.push(chunk.length);
      count += chunk.length;
      bytes += v.length;
    }
    this.pending = [];
    return { values, counts, spans: count, bytes };
  }
}

export interface Messages {
  values: Uint8Array[];
  /** Spans in each message. */
  counts: number[];
  spans: number;
  bytes: number;
}

/** Records of one partition, back to back, as `KafkaSource.emitBatches` builds them. */
export interface PreBatch {
  partition: number;
  data: Uint8Array;
  ends: Uint32Array;
  firstOffset: number;
  messages: number;
  spans: number;
}

/**
 * Groups messages into batches the way the source does with its defaults (at most
 * `maxMessages` records or `maxBytes` bytes), partitions round-robin with increasing offsets.
 */
export function toBatches(
  { values, counts }: Messages,
  partitions: number,
  offsets: number[],
  maxMessages = 500,
  maxBytes = 1024 * 1024,
): PreBatch[] {
  const out: PreBatch[] = [];
  let part = 0;
  for (let i = 0; i < values.length; ) {
    let j = i;
    let size = 0;
    while (j < values.length && j - i < maxMessages && (j === i || size + (values[j] as Uint8Array).length <= maxBytes)) {
      size += (values[j] as Uint8Array).length;
      j++;
    }
    const data = new Uint8Array(size);
    const ends = new Uint32Array(j - i);
    let pos = 0;
    let spans = 0;
    for (let k = i; k < j; k++) {
      const v = values[k] as Uint8Array;
      data.set(v, pos);
      pos += v.length;
      ends[k - i] = pos;
      spans += counts[k] as number;
    }
    const firstOffset = offsets[part] ?? 0;
    offsets[part] = firstOffset + (j - i);
    out.push({ partition: part, data, ends, firstOffset, messages: j - i, spans });
    part = (part + 1) % partitions;
    i = j;
  }
  return out;
}
