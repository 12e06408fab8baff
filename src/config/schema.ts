/**
 * Every option tracefold reads, in one table: key, type, default, environment names, flag names, the
 * subcommands it applies to and a one-line description. The loader (load.ts), the --help text
 * (help.ts) and the `Config` type are all derived from this table, so an option exists in all of them
 * or in none.
 *
 * Naming: the dotted key `kafka.bootstrapServers` is the YAML path (`kafka: { bootstrapServers: … }`),
 * the flag `--kafka-bootstrap-servers` and the environment variable `TRACEFOLD_KAFKA_BOOTSTRAP_SERVERS`.
 * `env` adds the Zipkin server's names where they mean the same thing, so an existing Zipkin
 * deployment's environment configures tracefold unchanged.
 */
import { ENCODINGS as ALL_ENCODINGS } from '../../core/model/span.js';
import type { Position } from './parse.js';
import type { ItemValidator } from './records.js';
import { checkRuleItem, filterRuleItem, samplePolicyItem } from './stages.js';

export const COMMANDS = ['ingest', 'replay', 'bench', 'decode', 'encode', 'produce', 'ship'] as const;
export type Command = (typeof COMMANDS)[number];

export interface CommandInfo {
  readonly summary: string;
  /** Usage after `tracefold <command>`. */
  readonly usage: string;
  /** Whether the command takes positional arguments (files); others reject them. */
  readonly takesArgs: boolean;
  /** Bounds on the number of positional arguments, checked with every other error. */
  readonly minArgs?: number;
  readonly maxArgs?: number;
  /** What `args` are, in messages about their number ("FILE"). */
  readonly argName?: string;
  /** Paragraphs printed in --help after the summary. */
  readonly details?: readonly string[];
}

export const COMMAND_INFO: { readonly [C in Command]: CommandInfo } = {
  ingest: {
    summary:
      "Run a long-lived ingest node: Kafka → decode → check → filter → assemble → sample → Elasticsearch/OpenSearch (a drop-in for the Zipkin server's Kafka collector). " +
      'SIGTERM/SIGINT drain and exit (a second signal exits at once, code 130). Exit codes: 0 stopped with everything written; ' +
      '1 a fatal error, or records left unwritten at the shutdown timeout (uncommitted: redelivered on restart); 2 usage or start-up error.',
    usage: '[options]',
    takesArgs: false,
  },
  replay: {
    summary:
      'Re-ingest a bounded range of a topic (offsets or times), then exit. Documents have deterministic ids, so rewriting overwrites.',
    usage: '--from <position> --to <position> [options]',
    takesArgs: false,
  },
  bench: {
    summary: 'Run the benchmark harness (micro, pipeline, Kafka end-to-end, side by side with Zipkin).',
    usage: '[options]',
    takesArgs: false,
    details: [
      'Measures every speed and memory claim in one run on this machine, and writes the results to bench/results/ ' +
        '(latest.md, latest.json, timestamped copies, PNG charts). Progress on stderr, tables on stdout. ' +
        'Figures are medians over several runs with their min–max range.',
      'Phases (all by default): micro: each hot-path stage alone (tinybench), with JSON.parse/JSON.stringify reference lines; ' +
        'pipeline: the real worker pool with a null sink, 1…N workers; ' +
        'stages: the two-stage topology (rekey, then assemble with partition → worker dispatch) beside the single process, 1 and 2 workers each; ' +
        'memory: bytes per buffered span, peak RSS under a 1× and 10× burst against a slowed search engine (needs Kafka and OpenSearch); ' +
        'e2e: a pre-loaded Kafka topic through `tracefold ingest` into OpenSearch; ' +
        "zipkin: the same topic through the stock Zipkin server's Kafka collector, side by side; " +
        'replay: the same topic through `tracefold replay --from earliest --to latest` into a fresh index; ' +
        "ceiling: the same span documents pre-built and sent straight to _bulk (2 connections, 2,000 a request): the engine's rate on this machine.",
      'ship: `tracefold ship` reading a prepared span log (one span per line) into Kafka, lines/s and CPU per line.',
      'Kafka and OpenSearch are reused when running, else started through infra/ (and stopped again); Zipkin instances get ports 9420+. ' +
        'Topics, indices, templates and pipelines the bench creates are deleted at the end.',
      'Exit codes: 0 every phase ran (goals may still be unmet: see the Goals table); 1 a phase failed; 2 usage error.',
    ],
  },
  decode: {
    summary: 'Decode one raw Kafka message (any Zipkin encoding) to canonical JSON v2.',
    usage: '[options] [FILE|-]',
    takesArgs: true,
    details: [
      "Reads one raw Kafka message value (Zipkin JSON v2, JSON v1, Thrift list or single span, Proto3; standard input for - or no FILE), detects its encoding as Zipkin's Kafka collector does, and prints its spans as a canonical JSON v2 array on stdout. Bad spans are reported on stderr, one line each.",
      'Exit codes: 0 all spans decoded; 1 some spans were bad; 2 nothing decodable (or usage error).',
    ],
  },
  encode: {
    summary: 'Encode a JSON v2 span array as json-v2, json-v1, thrift or proto3.',
    usage: '--format <encoding> [options] [FILE|-]',
    takesArgs: true,
    maxArgs: 1,
    argName: 'FILE',
    details: [
      'Reads a Zipkin JSON v2 span array (standard input for - or no FILE), normalises it as Zipkin does, and writes it as one Kafka message in the chosen encoding (stdout unless --out is given; binary formats refuse a terminal).',
    ],
  },
  produce: {
    summary: 'Publish trace files to a Kafka topic in a chosen encoding (tests and demos).',
    usage: '--topic <topic> [options] FILE...',
    takesArgs: true,
    minArgs: 1,
    argName: 'FILE',
    details: [
      'Publishes the traces in FILE... (Zipkin JSON v2: an array of spans, or one span object) to a Kafka topic, ' +
        'with no record key (like real reporters, so the spans of one trace spread over partitions).',
    ],
  },
  ship: {
    summary: 'Tail span log files into Kafka, keyed by trace ID (a log shipper for services that write spans to files).',
    usage: '--path <glob> [--path <glob>...] --topic <topic> [options]',
    takesArgs: false,
    details: [
      'Follows the files matching each glob (*, ? and [...] in any path segment), picks up new ones, follows rotation by rename and by copy-truncate, and survives truncation. ' +
        'Each line holds one span or one JSON array of spans, Zipkin JSON v2 or v1 (detected per line); a line that does not decode goes to the dead-letter topic ' +
        'with tracefold-file, tracefold-offset and tracefold-reason headers.',
      'Spans are sent as one message per trace (key: the lower 64 bits of the trace ID, so all spans of a trace share a partition), ' +
        'compressed, through an idempotent producer. A file position is saved (per file content fingerprint, in ship.positionFile) only once Kafka acknowledged every byte before it, ' +
        'so a restart resumes where the last acknowledged read stopped: at-least-once, never a gap. While Kafka is down reading pauses (the files are the buffer) and resumes when it is back.',
      'For copy-truncate rotation the glob must also match the rotated copies (app.log*): the lines written between the last read and the truncation are only in the copy.',
      'SIGTERM/SIGINT: stop reading, wait for Kafka to acknowledge what was read, save positions, exit. Exit codes: 0 stopped with everything acknowledged; ' +
        '1 stopped with bytes unacknowledged (read again on restart); 2 usage or start-up error (e.g. an unreadable --path).',
    ],
  },
};

// ── Option types ─────────────────────────────────────────────────────────────────────────────────

export interface StringType {
  readonly kind: 'string';
  /** Never printed: not in help defaults, not in error messages, redacted by `redactConfig`. */
  readonly secret?: boolean;
  /** Empty is a meaningful value (ES_DATE_SEPARATOR= means "no separator"). */
  readonly allowEmpty?: boolean;
  /** A file path: relative values are resolved against the config file's folder (file) or cwd (env, flags). */
  readonly path?: boolean;
  /** Placeholder shown in --help. */
  readonly placeholder?: string;
}
export interface IntType {
  readonly kind: 'int';
  readonly min: number;
  readonly max: number;
}
export interface NumberType {
  readonly kind: 'number';
  readonly min: number;
  readonly max: number;
}
export interface BoolType {
  readonly kind: 'bool';
}
/** Milliseconds; accepts `250ms`, `5s`, `1m`, `1h`, `1d`, `1m30s` or plain milliseconds. */
export interface DurationType {
  readonly kind: 'duration';
  readonly min: number;
  readonly max: number;
}
/** Bytes; accepts `512KiB`, `256MiB`, `1GB` or plain bytes. */
export interface BytesType {
  readonly kind: 'bytes';
  readonly min: number;
  readonly max: number;
}
export interface ListType<I extends 'string' | 'int' = 'string' | 'int'> {
  readonly kind: 'list';
  readonly item: I;
  readonly minItems: number;
  /** Bounds of int items. */
  readonly min?: number;
  readonly max?: number;
  readonly placeholder?: string;
}
/** `k=v,k2=v2`, or a YAML mapping. Layers merge key by key (a flag overrides one key of the file's map). */
export interface MapType {
  readonly kind: 'map';
}
export interface EnumType<V extends string = string> {
  readonly kind: 'enum';
  readonly values: readonly V[];
}
/** A replay bound: a Kafka offset, an ISO-8601 time, or the keyword (`earliest` for from, `latest` for to). */
export interface PositionType<W extends 'earliest' | 'latest' = 'earliest' | 'latest'> {
  readonly kind: 'position';
  readonly keyword: W;
}

/**
 * A list of records: a YAML sequence of mappings in the file, a JSON array in env or a flag; each
 * item checked by `item`, every problem reported with its path. See records.ts for how to add one.
 */
export interface RecordsType<R = unknown> {
  readonly kind: 'records';
  readonly item: ItemValidator<R>;
  /** What one record is, for --help: `<json: [rule,...]>`. */
  readonly placeholder?: string;
}

export type TypeSpec =
  | RecordsType
  | StringType
  | IntType
  | NumberType
  | BoolType
  | DurationType
  | BytesType
  | ListType
  | MapType
  | EnumType
  | PositionType;

export type ValueOf<T extends TypeSpec> =
  T extends RecordsType<infer R>
    ? readonly R[]
    : T extends StringType
      ? string
      : T extends IntType | NumberType | DurationType | BytesType
        ? number
        : T extends BoolType
          ? boolean
          : T extends ListType<infer I>
            ? I extends 'int'
              ? readonly number[]
              : readonly string[]
            : T extends MapType
              ? Readonly<Record<string, string>>
              : T extends EnumType<infer V>
                ? V
                : T extends PositionType<infer W>
                  ? Position<W>
                  : never;

/** Zipkin's message encodings (core/model/span.ts Encoding; src/cli/encode.ts checks they agree). */
export const ENCODINGS = ['json-v2', 'json-v1', 'thrift', 'proto3'] as const;
/** The benchmark harness's phases, in the order it runs them. */
export const BENCH_PHASES = ['micro', 'pipeline', 'stages', 'e2e', 'zipkin', 'replay', 'ceiling', 'sampling', 'memory', 'ship'] as const;

const MAX = Number.MAX_SAFE_INTEGER;
const str = (o: Omit<StringType, 'kind'> = {}): StringType => ({ kind: 'string', ...o });
const int = (min: number, max = MAX): IntType => ({ kind: 'int', min, max });
const num = (min: number, max: number): NumberType => ({ kind: 'number', min, max });
const bool = (): BoolType => ({ kind: 'bool' });
const duration = (min: number, max = MAX): DurationType => ({ kind: 'duration', min, max });
const bytes = (min: number, max = MAX): BytesType => ({ kind: 'bytes', min, max });
const list = (minItems = 0, placeholder?: string): ListType<'string'> =>
  placeholder === undefined ? { kind: 'list', item: 'string', minItems } : { kind: 'list', item: 'string', minItems, placeholder };
const intList = (min: number, max = MAX): ListType<'int'> => ({ kind: 'list', item: 'int', minItems: 0, min, max });
const map = (): MapType => ({ kind: 'map' });
const oneOf = <const V extends string>(...values: V[]): EnumType<V> => ({ kind: 'enum', values });
const position = <W extends 'earliest' | 'latest'>(keyword: W): PositionType<W> => ({ kind: 'position', keyword });
const records = <R>(item: ItemValidator<R>, placeholder?: string): RecordsType<R> =>
  placeholder === undefined ? { kind: 'records', item } : { kind: 'records', item, placeholder };

// ── Options ──────────────────────────────────────────────────────────────────────────────────────

export interface OptionDef<T extends TypeSpec = TypeSpec, O extends boolean = boolean> {
  readonly type: T;
  readonly description: string;
  readonly commands: readonly Command[];
  /** The value when no source sets it. Absent for computed, optional and required options. */
  readonly default?: ValueOf<T>;
  /** Default worked out at load time from other options or the machine; the text is shown in --help. */
  readonly computed?: string;
  /** No default: the value is `undefined` unless a source sets it. */
  readonly optional?: O;
  /** Must be set by some source for the commands it applies to. */
  readonly required?: boolean;
  /** Other environment names read besides `TRACEFOLD_<KEY>` (the Zipkin server's), lower precedence. */
  readonly env?: readonly string[];
  /** Other long flag names besides the one derived from the key. */
  readonly aliases?: readonly string[];
  /** Long flag names only some commands have (produce's `--bootstrap-servers`), kept from their own parsers. */
  readonly commandAliases?: { readonly [C in Command]?: readonly string[] };
  /** A one-letter flag (`-f`), for the commands in `shortFor` (default: every command of the option). */
  readonly short?: string;
  readonly shortFor?: readonly Command[];
  /** Maps only: a repeatable flag taking one `k=v` entry per occurrence (commas stay in the value). */
  readonly entryFlag?: string;
  /** Shown in help after the description. */
  readonly note?: string;
  /** Rejects values the type allows but the option does not (method syntax: checked per option). */
  check?(value: ValueOf<T>): string | undefined;
  /** Rewrites a valid value into canonical form; `warn` reports a change the user should know about. */
  normalize?(value: ValueOf<T>, warn: (message: string) => void): ValueOf<T>;
}

/** Ties an option's default and hooks to its type, and records `optional: true` in its type. */
function option<T extends TypeSpec, const O extends boolean = false>(def: OptionDef<T, O>): OptionDef<T, O> {
  return def;
}

const PIPELINE = ['ingest', 'replay'] as const satisfies readonly Command[];
const KAFKA_CLIENT = ['ingest', 'replay', 'produce', 'ship'] as const satisfies readonly Command[];

/** Kafka's own rule (kafka.common.internals.Topic): a typo here silently consumes nothing. */
function checkTopic(topic: string): string | undefined {
  if (topic.length > 249) return `topic name ${JSON.stringify(topic)} is longer than 249 characters`;
  if (!/^[a-zA-Z0-9._-]+$/.test(topic) || topic === '.' || topic === '..') {
    return `topic name ${JSON.stringify(topic)} may only contain letters, digits, '.', '_' and '-'`;
  }
  return undefined;
}

/** Elasticsearch's index-name rules apply to the prefix too, or every daily index fails to create. */
function checkIndexPrefix(index: string): string | undefined {
  if (index !== index.toLowerCase()) return 'index prefix must be lowercase';
  if (/[\\/*?"<>|,# :]/.test(index)) return 'index prefix must not contain \\ / * ? " < > | , # : or spaces';
  if (/^[-_+]/.test(index)) return "index prefix must not start with '-', '_' or '+'";
  return undefined;
}

/**
 * Zipkin's HostsConverter: a host without a scheme gets `http://`, without a port `:9200`, and the
 * old transport port 9300 becomes 9200 (with a warning). Same rules, so ES_HOSTS means the same.
 */
export function normalizeEsHost(host: string, warn: (message: string) => void): string {
  if (/^https?:\/\//i.test(host)) return host.replace(/\/+$/, '');
  const hostPort = host.replace(/\/+$/, '');
  if (/:9300$/.test(hostPort)) {
    warn(`es.hosts: ${host} uses the native transport port 9300, which is not HTTP; using port 9200`);
    return `http://${hostPort.replace(/:9300$/, ':9200')}`;
  }
  // An IPv6 literal needs brackets to carry a port; a bracketed one without port gets the default.
  const hasPort = /:\d+$/.test(hostPort) && (!hostPort.includes('[') || /\]:\d+$/.test(hostPort));
  return `http://${hasPort ? hostPort : `${hostPort}:9200`}`;
}

function checkEsHost(hosts: readonly string[]): string | undefined {
  for (const host of hosts) {
    try {
      const url = new URL(host);
      if (url.username !== '' || url.password !== '') return 'put credentials in es.username/es.password, not in the host URL';
    } catch {
      return `${JSON.stringify(host)} is not a valid URL`;
    }
  }
  return undefined;
}

/** One Kafka record header of `produce.headers`. */
export interface KafkaHeader {
  readonly name: string;
  readonly value: string;
}

const kafkaHeader: ItemValidator<KafkaHeader> = (item) => {
  if (!item.fields(['name', 'value'])) return undefined;
  const name = item.string('name');
  const value = item.string('value', { allowEmpty: true });
  return name === undefined || value === undefined ? undefined : { name, value };
};

/**
 * librdkafka properties tracefold sets itself. The first group has a dedicated option; the second
 * would break the commit watermark (offsets must only be committed by the coordinator).
 */
export const RESERVED_LIBRDKAFKA: Readonly<Record<string, string>> = {
  'bootstrap.servers': 'set kafka.bootstrapServers instead',
  'metadata.broker.list': 'set kafka.bootstrapServers instead',
  'group.id': 'set kafka.groupId (or replay.group) instead',
  'client.id': 'set kafka.clientId instead',
  'group.instance.id': 'set kafka.groupInstanceId instead',
  'auto.offset.reset': 'set kafka.autoOffsetReset instead',
  'enable.auto.commit': 'tracefold commits offsets itself, only once spans are written',
  'enable.auto.offset.store': 'tracefold stores offsets itself, only once spans are written',
  'enable.partition.eof': 'tracefold manages end-of-partition events itself',
};

export const OPTIONS = {
  // ── Kafka ──
  'kafka.bootstrapServers': option({
    type: str({ placeholder: 'host:port,...' }),
    default: '127.0.0.1:9092',
    env: ['KAFKA_BOOTSTRAP_SERVERS'],
    aliases: ['brokers'],
    commandAliases: { produce: ['bootstrap-servers'], ship: ['bootstrap-servers'] },
    short: 'b',
    shortFor: ['produce', 'ship'],
    commands: KAFKA_CLIENT,
    description: 'Kafka brokers to bootstrap from, comma-separated host:port.',
  }),
  'kafka.topic': option({
    type: list(1, 'topic,...'),
    default: ['zipkin'],
    env: ['KAFKA_TOPIC'],
    aliases: ['topic'],
    short: 't',
    shortFor: ['produce', 'ship'],
    commands: KAFKA_CLIENT,
    description: 'Topic(s) holding Zipkin spans, comma-separated.',
    note: 'tracefold produce and tracefold ship write to exactly one, which must be given.',
    check: (topics) => topics.map(checkTopic).find((p) => p !== undefined),
  }),
  'kafka.groupId': option({
    type: str({ placeholder: 'group' }),
    default: 'tracefold',
    env: ['KAFKA_GROUP_ID'],
    aliases: ['group-id'],
    commands: ['ingest'],
    description: 'Consumer group.',
    note: "Not Zipkin's default (zipkin), so both can consume one topic side by side while migrating.",
  }),
  'kafka.groupInstanceId': option({
    type: str({ placeholder: 'id', allowEmpty: true }),
    optional: true,
    commands: ['ingest'],
    // Kafka's rule for instance ids (JoinGroupRequest.validateGroupInstanceId): the topic-name alphabet.
    check: (id) => (id === '' || /^[A-Za-z0-9._-]{1,249}$/.test(id) ? undefined : 'only letters, digits, ".", "_" and "-", at most 249'),
    description:
      'Static group membership (group.instance.id): a node restarted with the same id gets its partitions back at once instead of after the session timeout. Empty: dynamic membership.',
    note: 'Default: $POD_NAME, else $HOSTNAME, else the host name. Every node of a group needs its own id (two processes on one host: set it); a node that stops for good releases its partitions only after session.timeout.ms (45 s).',
  }),
  'kafka.clientId': option({
    type: str({ placeholder: 'id' }),
    default: 'tracefold',
    commands: KAFKA_CLIENT,
    description: 'Kafka client.id (broker logs and quotas).',
  }),
  'kafka.deadLetterTopic': option({
    type: str({ placeholder: 'topic' }),
    computed: '<first topic>.dead-letter',
    commands: [...PIPELINE, 'ship'],
    description: 'Topic receiving undecodable messages and spans the search engine rejected, with tracefold-* headers.',
    check: checkTopic,
  }),
  'kafka.rekeyTopic': option({
    type: str({ placeholder: 'topic' }),
    computed: '<first topic>.by-trace',
    aliases: ['rekey-topic'],
    commands: ['ingest'],
    description:
      'The trace-keyed topic of the two-stage topology: --stage rekey produces to it (Zipkin Proto3, key = lower 64 bits of the trace ID), --stage assemble consumes it.',
    check: checkTopic,
  }),
  'kafka.rekeyPartitions': option({
    type: int(1, 10_000),
    default: 12,
    commands: ['ingest'],
    description: 'Partitions of the trace-keyed topic when a rekey or assemble node creates it (an existing topic is left as it is).',
    note: 'The upper bound on stage-2 nodes × workers: each partition is assembled by one worker of one node.',
  }),
  'kafka.autoOffsetReset': option({
    type: oneOf('earliest', 'latest'),
    default: 'earliest',
    commands: ['ingest'],
    description: 'Where a group without committed offsets starts (earliest, like Zipkin).',
  }),
  'kafka.commitIntervalMs': option({
    type: duration(100),
    default: 5_000,
    commands: PIPELINE,
    description: 'How often resolved offsets are committed (also on shutdown and revocation).',
  }),
  'kafka.batchMaxMessages': option({
    type: int(1, 100_000),
    default: 500,
    commands: PIPELINE,
    description: 'Most Kafka messages per batch handed to a worker.',
  }),
  'kafka.batchMaxBytes': option({
    type: bytes(1024, 2 ** 30),
    default: 2 ** 20,
    commands: PIPELINE,
    description: 'Most bytes per batch handed to a worker.',
  }),
  'kafka.fetchWaitMs': option({
    type: duration(0, 60_000),
    default: 100,
    commands: PIPELINE,
    description:
      'Longest wait to fill a batch before dispatching a smaller one; once the consumer reaches the end of a partition it dispatches what it has at once.',
  }),
  'kafka.librdkafka': option({
    type: map(),
    default: {},
    entryFlag: 'kafka-property',
    commands: KAFKA_CLIENT,
    description: 'Extra librdkafka properties (security.protocol, sasl.*, fetch.*); repeat --kafka-property k=v.',
    check: (props) => {
      const bad = Object.keys(props).find((k) => RESERVED_LIBRDKAFKA[k] !== undefined);
      return bad === undefined ? undefined : `${bad} cannot be set here: ${RESERVED_LIBRDKAFKA[bad]}`;
    },
  }),
  'kafka.topicEncodings': option({
    type: map(),
    default: {},
    entryFlag: 'kafka-topic-encoding',
    commands: PIPELINE,
    description: `Decode a topic's messages as one encoding instead of detecting it per message; repeat --kafka-topic-encoding topic=encoding (${ALL_ENCODINGS.join(', ')}).`,
    note: "OTLP protobuf (otlp-proto, as the Collector's Kafka exporter writes otlp_proto) is told apart from Zipkin Proto3 by structure; naming the encoding removes any doubt.",
    check: (byTopic) => {
      const bad = Object.entries(byTopic).find(([, e]) => !(ALL_ENCODINGS as readonly string[]).includes(e));
      return bad === undefined ? undefined : `${bad[0]}=${bad[1]}: the encoding must be one of ${ALL_ENCODINGS.join(', ')}`;
    },
  }),
  'kafka.streams': option({
    type: int(1, 1024),
    optional: true,
    env: ['KAFKA_STREAMS'],
    commands: ['ingest'],
    description: 'Accepted for Zipkin compatibility and ignored, with a warning: parallelism is set by --workers.',
  }),

  // ── Elasticsearch / OpenSearch ──
  'es.hosts': option({
    type: list(1, 'url,...'),
    default: ['http://127.0.0.1:9200'],
    env: ['ES_HOSTS'],
    commands: PIPELINE,
    description: 'Base URLs, comma-separated; like Zipkin, http:// and port 9200 are added when missing.',
    normalize: (hosts, warn) => [...new Set(hosts.map((h) => normalizeEsHost(h, warn)))],
    check: checkEsHost,
  }),
  'es.username': option({
    type: str({ placeholder: 'user' }),
    optional: true,
    env: ['ES_USERNAME'],
    commands: PIPELINE,
    description: 'Basic-auth user.',
  }),
  'es.password': option({
    type: str({ secret: true, placeholder: 'password' }),
    optional: true,
    env: ['ES_PASSWORD'],
    commands: PIPELINE,
    description: 'Basic-auth password (never printed; prefer the environment to a flag).',
  }),
  'es.apiKey': option({
    type: str({ secret: true, placeholder: 'key' }),
    optional: true,
    commands: PIPELINE,
    description: 'API key (the base64 id:key the engine issues), sent as Authorization: ApiKey; instead of basic auth (never printed).',
  }),
  'es.tlsCaFile': option({
    type: str({ path: true, placeholder: 'file.pem' }),
    optional: true,
    commands: PIPELINE,
    description: 'PEM file of the CA(s) that signed the engine certificate (https hosts), instead of the system CAs.',
  }),
  'es.tlsCertFile': option({
    type: str({ path: true, placeholder: 'file.pem' }),
    optional: true,
    commands: PIPELINE,
    description: 'PEM client certificate, for engines that require one (with es.tlsKeyFile).',
  }),
  'es.tlsKeyFile': option({
    type: str({ path: true, placeholder: 'file.pem' }),
    optional: true,
    commands: PIPELINE,
    description: 'PEM private key of the client certificate (unencrypted; keep the file readable by tracefold only).',
  }),
  'es.tlsVerify': option({
    type: bool(),
    default: true,
    commands: PIPELINE,
    description: "Verify the engine's certificate and host name. Turn off only for a test cluster.",
  }),
  'es.index': option({
    type: str({ placeholder: 'prefix' }),
    default: 'zipkin',
    env: ['ES_INDEX'],
    commands: PIPELINE,
    description: 'Index prefix: writes go to <index>-span-<date> and <index>-autocomplete-<date>.',
    check: checkIndexPrefix,
  }),
  'es.dateSeparator': option({
    type: str({ allowEmpty: true, placeholder: 'char' }),
    default: '-',
    env: ['ES_DATE_SEPARATOR'],
    commands: PIPELINE,
    description: 'Separator in the daily index date (yyyy-MM-dd); empty gives yyyyMMdd.',
    check: (sep) => (sep.length > 1 ? 'must be empty or a single character (as in Zipkin)' : undefined),
  }),
  'es.indexShards': option({
    type: int(1, 1024),
    default: 5,
    env: ['ES_INDEX_SHARDS'],
    commands: PIPELINE,
    description: 'Shards per daily index (in the template).',
  }),
  'es.indexReplicas': option({
    type: int(0, 64),
    default: 1,
    env: ['ES_INDEX_REPLICAS'],
    commands: PIPELINE,
    description: 'Replicas per daily index (in the template).',
  }),
  'es.ensureTemplates': option({
    type: bool(),
    default: true,
    env: ['ES_ENSURE_TEMPLATES'],
    commands: PIPELINE,
    description: 'Install the span/autocomplete/dependency templates when absent, before the first write.',
  }),
  'es.templatePriority': option({
    type: int(0, 2 ** 31 - 1),
    optional: true,
    env: ['ES_TEMPLATE_PRIORITY'],
    commands: PIPELINE,
    description: 'When set, install composable index templates (ES ≥ 7.8, OpenSearch) with this priority.',
  }),
  'es.pipeline': option({
    type: str({ placeholder: 'name' }),
    optional: true,
    env: ['ES_PIPELINE'],
    commands: PIPELINE,
    description: 'Ingest pipeline applied to span documents.',
  }),
  'es.timeoutMs': option({
    type: duration(100),
    default: 10_000,
    env: ['ES_TIMEOUT'],
    commands: PIPELINE,
    description: 'Request timeout (ES_TIMEOUT is in milliseconds, as in Zipkin).',
  }),
  'es.bulkMaxBytes': option({
    type: bytes(1024, 2 ** 30),
    default: 5 * 2 ** 20,
    commands: PIPELINE,
    description: 'Largest _bulk request body.',
  }),
  'es.bulkMaxInFlight': option({ type: int(1, 64), default: 2, commands: PIPELINE, description: 'Concurrent _bulk requests per worker.' }),
  'es.bulkAdaptive': option({
    type: bool(),
    default: false,
    commands: PIPELINE,
    description:
      'Adapt the concurrent _bulk requests per worker between 1 and es.bulkMaxInFlight: grow while answers stay fast, back off on 429s or rising latency.',
  }),
  'es.searchEnabled': option({
    type: bool(),
    default: true,
    env: ['SEARCH_ENABLED'],
    commands: PIPELINE,
    description: 'Index what search needs (timestamp_millis, _q, autocomplete); false stores traces for lookup by id only.',
  }),
  'es.strictTraceId': option({
    type: bool(),
    default: true,
    env: ['STRICT_TRACE_ID'],
    commands: PIPELINE,
    description: 'false lets 64- and 128-bit ids of one trace match (affects the span template).',
  }),
  'es.autocompleteKeys': option({
    type: list(0, 'key,...'),
    default: [],
    env: ['AUTOCOMPLETE_KEYS'],
    commands: PIPELINE,
    description: 'Tag keys whose values are written for the UI autocomplete.',
  }),
  'es.autocompleteTtlMs': option({
    type: duration(0),
    default: 3_600_000,
    env: ['AUTOCOMPLETE_TTL'],
    commands: PIPELINE,
    description: 'How long one autocomplete key=value pair is not written again (AUTOCOMPLETE_TTL is in ms).',
  }),
  'es.autocompleteCardinality': option({
    type: int(1, 10_000_000),
    default: 20_000,
    env: ['AUTOCOMPLETE_CARDINALITY'],
    commands: PIPELINE,
    description: 'Autocomplete pairs remembered per worker for that suppression.',
  }),
  'es.retryInitialMs': option({
    type: duration(1),
    default: 100,
    commands: PIPELINE,
    description: 'First retry delay of a 429/5xx bulk item or failed request.',
  }),
  'es.retryMaxMs': option({
    type: duration(1),
    default: 30_000,
    commands: PIPELINE,
    description: 'Retry delay cap (delays double with jitter).',
  }),
  'es.retryMaxAttempts': option({
    type: int(1, 1_000),
    default: 10,
    commands: PIPELINE,
    description: 'Attempts per item before it goes to the dead-letter topic.',
  }),
  'es.refresh': option({
    type: bool(),
    default: false,
    commands: PIPELINE,
    description: 'Send refresh=wait_for with every bulk request (tests only: slow).',
  }),

  // ── Sink ──
  'sink.kind': option({
    type: oneOf('elasticsearch', 'null', 'file'),
    default: 'elasticsearch',
    commands: PIPELINE,
    description: 'Where spans go: elasticsearch, null (discard after processing; benchmarks) or file (NDJSON).',
  }),
  'sink.file': option({
    type: str({ path: true, placeholder: 'path' }),
    optional: true,
    commands: PIPELINE,
    description: 'Output file of the file sink (bulk NDJSON, appended).',
  }),

  // ── Trace windows ──
  'window.quietMs': option({
    type: duration(0),
    default: 5_000,
    commands: PIPELINE,
    description: 'Flush a trace after this long without a new span.',
    // Kept at duration(0) so a malformed value reads "expected a duration"; 0 is a separate, clearer error.
    check: (ms) => (ms < 1 ? 'must be at least 1ms: 0 would flush every trace at once, before its other spans arrive' : undefined),
  }),
  'window.rootlessQuietMs': option({
    type: duration(0),
    default: 20_000,
    commands: PIPELINE,
    description:
      'Flush a trace none of whose spans is a root (no parent ID) after this long without a new span: ' +
      'children are reported before their root, so a trace longer than window.quietMs goes quiet before its root ' +
      'arrives, and decided then it would be decided without it. Never less than window.quietMs; at most window.maxWindowMs applies.',
  }),
  'window.partitionSkewMs': option({
    type: duration(0),
    default: 30_000,
    commands: PIPELINE,
    description:
      'While some partitions are read further back in time than others (a backlog, a replay), a trace counts as quiet only ' +
      'once every partition has been read past the record times its spans came with: one trace on several partitions is then ' +
      'assembled whole. This is the most that wait may add to the quiet window; 0: quiet time is wall time only.',
  }),
  'window.maxWindowMs': option({
    type: duration(1),
    default: 30_000,
    commands: PIPELINE,
    description: 'Flush a trace at the latest this long after its first span.',
  }),
  'window.maxSpansPerTrace': option({
    type: int(1, 1_000_000),
    default: 10_000,
    commands: PIPELINE,
    description: "Flush a trace when it holds this many spans (Zipkin's reader returns at most 10000).",
  }),
  'window.maxBufferedBytesPerWorker': option({
    type: bytes(2 ** 20),
    default: 128 * 2 ** 20,
    commands: PIPELINE,
    description: 'Memory budget for buffered spans per worker; the oldest traces flush when it is passed.',
  }),
  'window.lateDecisionTtlMs': option({
    type: duration(0),
    default: 60_000,
    commands: PIPELINE,
    description: 'How long the decision taken for a flushed trace applies to its late spans.',
  }),
  'window.lateDecisionCacheSize': option({
    type: int(0, 100_000_000),
    default: 100_000,
    commands: PIPELINE,
    description: 'Flushed-trace decisions remembered per worker.',
  }),

  // ── Filters ──
  'filter.dropServices': option({
    type: list(0, 'name,...'),
    default: [],
    commands: PIPELINE,
    description: 'Drop spans whose local service name is one of these (counted, not dead-lettered).',
  }),
  'filter.dropSpanNames': option({
    type: list(0, 'name,...'),
    default: [],
    commands: PIPELINE,
    description: 'Drop spans with one of these names.',
  }),
  'filter.dropTags': option({
    type: map(),
    default: {},
    entryFlag: 'drop-tag',
    commands: PIPELINE,
    description: 'Drop spans carrying tag key=value (value * matches any); repeat --drop-tag k=v.',
  }),
  'filter.rules': option({
    type: records(filterRuleItem, 'rule'),
    default: [],
    commands: PIPELINE,
    description:
      'Include/exclude rules on single spans: {name, action: include|exclude, service, remoteService, spanName, annotation (exact|prefix|regex), kind, tag {key, exact|prefix|regex|present}, minDuration, maxDuration}; see config/recommended.yaml. Reloaded without a restart.',
  }),

  // ── Data quality (workers/check) ──
  'check.rules': option({
    type: records(checkRuleItem, 'rule'),
    default: [],
    commands: PIPELINE,
    description:
      'Data-quality rules, each {rule, action: fix|drop|quarantine, parameters}: missing_timestamp, bad_duration (maxDuration), timestamp_skew (maxFuture, maxPast), long_name (maxLength), long_tag (maxLength, maxValueLength), placeholder_service (names), and per trace duplicate_span_id, mixed_trace_id. All off by default; see config/recommended.yaml. Reloaded without a restart.',
  }),

  // ── Sampling (workers/sample) ──
  'sample.policies': option({
    type: records(samplePolicyItem, 'policy'),
    default: [],
    commands: PIPELINE,
    description:
      'Ingest-time sampling of assembled traces, asked in order (error, debug, slow, shape, probabilistic, rate_limit, keep_all); none: every trace is kept and spans are written as they arrive. See config/recommended.yaml. Reloaded without a restart.',
  }),
  'sample.tagKept': option({
    type: bool(),
    default: true,
    commands: PIPELINE,
    description: 'Tag the spans of sampled traces with tracefold.sampled=<policy that kept them>.',
  }),

  'dependencies.enabled': option({
    type: bool(),
    default: true,
    commands: PIPELINE,
    description:
      "Derive service dependency links from assembled traces at ingest: dependency documents for the Zipkin UI's dependencies view, and the live graph on the admin port. Off: with keep-all sampling and no trace-level rule, nothing is kept per trace and spans are written as they arrive (fastest).",
  }),

  // ── Process ──
  workers: option({
    type: int(1, 64),
    computed: 'os.availableParallelism(), at most 64',
    commands: PIPELINE,
    description: 'Worker threads decoding, assembling and writing spans.',
  }),
  stage: option({
    type: oneOf('single', 'rekey', 'assemble'),
    default: 'single',
    commands: ['ingest'],
    description:
      'single: one process does everything (default). rekey: stage 1 of the two-stage topology, raw topic → decode, check, filter → the trace-keyed topic. assemble: stage 2, the trace-keyed topic → assemble, sample, write.',
    note: 'Each stage is its own consumer group (kafka.groupId with ".rekey" or ".assemble" appended) and scales by adding nodes.',
  }),
  shutdownTimeoutMs: option({
    type: duration(0),
    default: 30_000,
    commands: PIPELINE,
    description: 'On SIGTERM/SIGINT, longest wait for windows to flush and writes to finish before exiting.',
  }),
  maxMessageBytes: option({
    type: bytes(1024, 2 ** 30),
    default: 16 * 2 ** 20,
    commands: PIPELINE,
    description: 'Larger Kafka messages go to the dead-letter topic undecoded.',
  }),

  // ── Backpressure ──
  'backpressure.maxOutstandingBytes': option({
    type: bytes(2 ** 20),
    default: 256 * 2 ** 20,
    commands: PIPELINE,
    description:
      'Pause consuming when this many message bytes are read but not yet resolved. Also sizes the Kafka read-ahead (librdkafka queued.max.messages.kbytes): half of this, at most 64 MiB, unless set with --kafka-property.',
  }),
  'backpressure.maxOutstandingMessages': option({
    type: int(1),
    default: 200_000,
    commands: PIPELINE,
    description: 'Pause consuming when this many messages are read but not yet resolved.',
  }),
  'backpressure.lowWaterRatio': option({
    type: num(0, 1),
    default: 0.5,
    commands: PIPELINE,
    description: 'Resume once outstanding bytes and messages fall below this fraction of their limits.',
  }),

  // ── HTTP collector ──
  'http.enabled': option({
    type: bool(),
    default: false,
    commands: ['ingest'],
    description: 'Also accept spans by HTTP POST /api/v2/spans (as a Zipkin server does).',
  }),
  'http.host': option({
    type: str({ placeholder: 'address' }),
    default: '127.0.0.1',
    commands: ['ingest'],
    description: 'HTTP collector listen address.',
  }),
  'http.port': option({
    type: int(0, 65_535),
    default: 9412,
    commands: ['ingest'],
    description: 'HTTP collector port (0: any free port).',
    note: "9412, not Zipkin's 9411, so tracefold and a Zipkin server (UI, queries) can run on one host.",
  }),
  'http.maxBodyBytes': option({
    type: bytes(1024, 2 ** 30),
    default: 10 * 2 ** 20,
    commands: ['ingest'],
    description: 'Largest accepted request body.',
  }),

  // ── Admin ──
  'admin.enabled': option({
    type: bool(),
    default: true,
    commands: ['ingest', 'ship'],
    description: 'Serve /metrics (Prometheus), /health and /ready.',
  }),
  'admin.host': option({
    type: str({ placeholder: 'address' }),
    default: '127.0.0.1',
    commands: ['ingest', 'ship'],
    description: 'Admin listen address.',
  }),
  'admin.port': option({
    type: int(0, 65_535),
    default: 9464,
    commands: ['ingest', 'ship'],
    description: 'Admin port (0: any free port).',
    note: 'ship serves /metrics and /health only; beside an ingest node on one host, give one of them another port.',
  }),
  'admin.sinkDownAfterMs': option({
    type: duration(1000),
    default: 60_000,
    commands: PIPELINE,
    description:
      'After writes have failed this long without a success, /health reports DOWN (HTTP 503) with the reason and an error is logged; writes keep being retried, nothing is dropped.',
    note: 'Replay serves no admin endpoint; there it only sets when the error is logged.',
  }),

  // ── Logging ──
  'log.level': option({
    type: oneOf('trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'),
    default: 'info',
    env: ['LOG_LEVEL'],
    commands: COMMANDS,
    description: 'Least severe level logged.',
  }),
  'log.pretty': option({ type: bool(), default: false, commands: COMMANDS, description: 'Human-readable logs instead of JSON lines.' }),

  // ── Replay ──
  'replay.from': option({
    type: position('earliest'),
    required: true,
    aliases: ['from'],
    commands: ['replay'],
    description: 'First message: an offset (every partition), an ISO-8601 time, or earliest.',
  }),
  'replay.to': option({
    type: position('latest'),
    required: true,
    aliases: ['to'],
    commands: ['replay'],
    description: 'Last message (inclusive): an offset, an ISO-8601 time, or latest (the end when replay starts).',
  }),
  'replay.partitions': option({
    type: intList(0),
    default: [],
    aliases: ['partitions'],
    commands: ['replay'],
    description: 'Partitions to replay (default: all).',
  }),
  'replay.group': option({
    type: str({ placeholder: 'group' }),
    computed: 'tracefold-replay-<random>',
    aliases: ['group'],
    commands: ['replay'],
    description: 'Consumer group of the replay; a fresh one by default so it never disturbs the ingest group.',
  }),
  'replay.commit': option({
    type: bool(),
    default: false,
    aliases: ['commit'],
    commands: ['replay'],
    description: 'Commit offsets of the replay group as it goes.',
  }),
  'replay.dryRun': option({
    type: bool(),
    default: false,
    aliases: ['dry-run'],
    commands: ['replay'],
    description: 'Decode and process but write nothing (the null sink).',
  }),
  'replay.json': option({
    type: bool(),
    default: false,
    aliases: ['json'],
    commands: ['replay'],
    description: 'Print the summary as JSON.',
  }),
  'replay.out': option({
    type: str({ path: true, placeholder: 'path' }),
    optional: true,
    aliases: ['out'],
    commands: ['replay'],
    description: 'Write NDJSON to this file instead of the search engine (the file sink).',
  }),
  'replay.esIndexPrefix': option({
    type: str({ placeholder: 'prefix' }),
    optional: true,
    aliases: ['es-index-prefix'],
    commands: ['replay'],
    description: 'Write to this index prefix instead of es.index (replay into a scratch index).',
    check: checkIndexPrefix,
  }),

  // ── Bench (flags kept from the harness's own parser: --quick, --only, …) ──
  'bench.quick': option({
    type: bool(),
    default: false,
    aliases: ['quick'],
    commands: ['bench'],
    description: 'Smaller sizes, fewer runs (a few minutes).',
  }),
  'bench.only': option({
    type: list(1, 'phase,...'),
    default: BENCH_PHASES,
    aliases: ['only'],
    commands: ['bench'],
    description: 'Phases to run, comma-separated (micro and pipeline need no servers); they run in the harness order.',
    check: (phases) => {
      const unknown = phases.filter((p) => !(BENCH_PHASES as readonly string[]).includes(p));
      return unknown.length === 0 ? undefined : `unknown phase(s) ${unknown.join(', ')} (known: ${BENCH_PHASES.join(', ')})`;
    },
  }),
  'bench.spans': option({
    type: int(1),
    optional: true,
    aliases: ['spans'],
    commands: ['bench'],
    description: 'Spans pre-loaded for e2e/zipkin/replay (default: two backlogs, 1000000 and 100000; quick 100000).',
  }),
  'bench.encoding': option({
    type: oneOf(...ENCODINGS),
    default: 'json-v2',
    aliases: ['encoding'],
    commands: ['bench'],
    description: 'Message encoding for pipeline, e2e, zipkin, replay and the burst.',
  }),
  'bench.spansPerMessage': option({
    type: int(1, 1_000_000),
    default: 10,
    aliases: ['spans-per-message'],
    commands: ['bench'],
    description: 'Spans per Kafka message.',
  }),
  'bench.e2eSpansPerMessage': option({
    type: intList(1, 1_000_000),
    optional: true,
    aliases: ['e2e-spans-per-message'],
    commands: ['bench'],
    description: 'Message shapes of the pre-loaded backlogs, comma-separated (default: 1,10,100; quick: --spans-per-message).',
  }),
  'bench.runs': option({
    type: int(1),
    optional: true,
    aliases: ['runs'],
    commands: ['bench'],
    description: 'Runs per figure (default: micro 5, pipeline 3, e2e/zipkin/replay 3; quick 3/3/2).',
  }),
  'bench.workersMax': option({
    type: int(1, 64),
    computed: 'os.availableParallelism(), at most 64',
    aliases: ['workers-max'],
    commands: ['bench'],
    description: 'The pipeline phase runs 1…N workers; e2e uses N.',
  }),
  'bench.zipkinHeap': option({
    type: str({ placeholder: 'size,...' }),
    default: '1g,2g',
    aliases: ['zipkin-heap'],
    commands: ['bench'],
    description:
      'JVM heaps of the Zipkin peer, comma-separated: one Zipkin side per heap, each reported (512m is what infra/ runs it with).',
    check: (heap) => (/^[1-9]\d*[mg](,[1-9]\d*[mg])*$/.test(heap) ? undefined : 'must look like 512m or 1g,2g'),
  }),
  'bench.out': option({
    type: str({ path: true, placeholder: 'dir' }),
    optional: true,
    aliases: ['out'],
    commands: ['bench'],
    description: 'Results folder (when unset: bench/results in the repository).',
  }),
  'bench.updateReadme': option({
    type: bool(),
    default: false,
    aliases: ['update-readme'],
    commands: ['bench'],
    description: 'Replace the README\'s "Benchmarks" section with the tables of this run.',
  }),

  // ── Decode ──
  'decode.pretty': option({
    type: bool(),
    default: false,
    aliases: ['pretty'],
    commands: ['decode'],
    description: 'Indent the JSON output.',
  }),
  'decode.encoding': option({
    type: oneOf(...ALL_ENCODINGS),
    optional: true,
    aliases: ['encoding'],
    commands: ['decode'],
    description: 'Decode as this encoding instead of detecting it (an OTLP body, or a message detection would misread).',
  }),

  // ── Encode ──
  'encode.format': option({
    type: oneOf(...ENCODINGS),
    required: true,
    aliases: ['format'],
    short: 'f',
    commands: ['encode'],
    description: 'Encoding to write.',
  }),
  'encode.out': option({
    type: str({ path: true, placeholder: 'file' }),
    optional: true,
    aliases: ['out'],
    short: 'o',
    commands: ['encode'],
    description: 'Write to this file instead of stdout.',
  }),

  // ── Produce ──
  'produce.format': option({
    type: oneOf(...ENCODINGS),
    default: 'json-v2',
    aliases: ['format'],
    short: 'f',
    commands: ['produce'],
    description: 'Encoding of the messages.',
  }),
  'produce.spansPerMessage': option({
    type: int(0, 1_000_000),
    default: 0,
    aliases: ['spans-per-message'],
    short: 'n',
    commands: ['produce'],
    description: 'Spans per Kafka message (0: one message per file).',
  }),
  'produce.partitions': option({
    type: int(0, 10_000),
    default: 0,
    aliases: ['partitions'],
    commands: ['produce'],
    description: 'Create the topic with this many partitions if it does not exist (0: do not create it).',
  }),
  'produce.headers': option({
    type: records(kafkaHeader, 'header'),
    default: [],
    aliases: ['headers'],
    commands: ['produce'],
    description:
      'Kafka headers added to every message: a list of {name, value} (YAML in the file, a JSON array in env or flag); a name given twice keeps its last value.',
  }),
  'produce.shiftToNow': option({
    type: bool(),
    default: false,
    aliases: ['shift-to-now'],
    commands: ['produce'],
    description: "Move each trace's timestamps so it starts now (the Zipkin UI searches the last day by default).",
  }),

  // ── Ship ──
  'ship.paths': option({
    type: list(1, 'glob,...'),
    required: true,
    aliases: ['path'],
    commands: ['ship'],
    description: 'Files to tail: globs (*, ? and [...] per path segment), comma-separated or --path repeated.',
  }),
  'ship.positionFile': option({
    type: str({ path: true, placeholder: 'file' }),
    default: 'tracefold-ship.positions.json',
    aliases: ['position-file'],
    commands: ['ship'],
    description: 'Where acknowledged file positions are saved (atomically); one per shipper. Relative: to the working directory.',
  }),
  'ship.compression': option({
    type: oneOf('zstd', 'lz4', 'none'),
    default: 'zstd',
    aliases: ['compression'],
    commands: ['ship'],
    description: 'Compression of the produced batches.',
  }),
  'ship.pollIntervalMs': option({
    type: duration(10, 60_000),
    default: 250,
    commands: ['ship'],
    description: 'How often the globs are listed and the files checked for new lines, rotation and truncation.',
  }),
  'ship.readBytes': option({
    type: bytes(4096, 2 ** 28),
    default: 2 ** 20,
    commands: ['ship'],
    description: 'Most bytes read from one file at once; a longer line is cut and dead-lettered.',
  }),
  'ship.maxInFlightBytes': option({
    type: bytes(2 ** 16, 2 ** 32),
    default: 64 * 2 ** 20,
    commands: ['ship'],
    description: 'Read bytes Kafka has not acknowledged yet, at most: reading pauses at this (Kafka down or slow) and resumes below half.',
  }),
  'ship.lingerMs': option({
    type: duration(0, 10_000),
    default: 20,
    commands: ['ship'],
    description: 'How long the producer waits to fill a batch (librdkafka linger.ms).',
  }),
  'ship.positionFlushMs': option({
    type: duration(50, 600_000),
    default: 1_000,
    commands: ['ship'],
    description: 'How often acknowledged positions are saved; a crash re-sends at most what was acknowledged since.',
  }),
  'ship.shutdownTimeoutMs': option({
    type: duration(0, 600_000),
    default: 10_000,
    commands: ['ship'],
    description: 'On SIGTERM/SIGINT, how long to wait for Kafka to acknowledge what was read.',
  }),
} satisfies Record<string, OptionDef>;

export type Options = typeof OPTIONS;
export type Key = keyof Options & string;
export const KEYS = Object.keys(OPTIONS) as Key[];

/** The option table seen through its common interface (for loops over every option). */
export function optionDef(key: Key): OptionDef {
  return OPTIONS[key] as OptionDef;
}

/** The type a key's value has once loaded: `undefined` only for options declared `optional`. */
export type ValueAt<K extends Key> =
  NonNullable<Options[K]['optional']> extends true ? ValueOf<Options[K]['type']> | undefined : ValueOf<Options[K]['type']>;

type Rel<P extends string, K extends string = Key> = K extends `${P}${infer R}` ? R : never;
type Head<R extends string> = R extends `${infer H}.${string}` ? H : R;
/** Nests the dotted keys under prefix P: `kafka.topic` becomes `{ kafka: { topic } }`. */
type Tree<P extends string> = {
  readonly [H in Head<Rel<P>>]: `${P}${H}` extends Key ? ValueAt<`${P}${H}`> : Tree<`${P}${H}.`>;
};

/**
 * Sections that belong to one command, named after it (`replay.from`, `bench.quick`): only that
 * command's config has them.
 */
export const COMMAND_SECTIONS = ['replay', 'bench', 'decode', 'encode', 'produce', 'ship'] as const satisfies readonly Command[];
type CommandSection = (typeof COMMAND_SECTIONS)[number];
export function isCommandSection(section: string): section is CommandSection {
  return (COMMAND_SECTIONS as readonly string[]).includes(section);
}

/** The shared options plus one command's own section. */
type WithSection<S extends CommandSection> = Omit<Tree<''>, Exclude<CommandSection, S>>;
/** What `tracefold replay` gets. */
export type ReplayConfig = WithSection<'replay'>;
/** What ingest gets, and the shared part every command's config has: command sections exist only for their command. */
export type Config = Omit<Tree<''>, CommandSection>;
export type ConfigFor<C extends Command> = [C] extends ['replay']
  ? ReplayConfig
  : [C] extends ['bench']
    ? WithSection<'bench'>
    : [C] extends ['decode']
      ? WithSection<'decode'>
      : [C] extends ['encode']
        ? WithSection<'encode'>
        : [C] extends ['produce']
          ? WithSection<'produce'>
          : [C] extends ['ship']
            ? WithSection<'ship'>
            : Config;

// ── Derived names ────────────────────────────────────────────────────────────────────────────────

const words = (key: string): string[] => key.split(/\.|(?=[A-Z])/).map((w) => w.toLowerCase());

/** `kafka.bootstrapServers` → `TRACEFOLD_KAFKA_BOOTSTRAP_SERVERS`. */
export function envName(key: Key): string {
  return `TRACEFOLD_${words(key).join('_').toUpperCase()}`;
}

/** Every environment name of a key, in precedence order (tracefold's own first). */
export function envNames(key: Key): readonly string[] {
  return [envName(key), ...(optionDef(key).env ?? [])];
}

/** `kafka.bootstrapServers` → `kafka-bootstrap-servers` (without the leading dashes). */
export function flagName(key: Key): string {
  return words(key).join('-');
}

/**
 * Every long flag name of a key (derived name first), without the leading dashes; with a command,
 * also the names only that command has.
 */
export function flagNames(key: Key, command?: Command): readonly string[] {
  const def = optionDef(key);
  const own = command === undefined ? [] : (def.commandAliases?.[command] ?? []);
  return [flagName(key), ...(def.aliases ?? []), ...own];
}

/** The one-letter flag of a key for a command, if it has one there. */
export function shortFlag(key: Key, command: Command): string | undefined {
  const def = optionDef(key);
  if (def.short === undefined || !appliesTo(key, command)) return undefined;
  return def.shortFor === undefined || def.shortFor.includes(command) ? def.short : undefined;
}

/** Whether a key's value must never be printed (declared secret in its type). */
export function isSecret(key: Key): boolean {
  const type = optionDef(key).type;
  return type.kind === 'string' && type.secret === true;
}

export function appliesTo(key: Key, command: Command): boolean {
  return optionDef(key).commands.includes(command);
}

/** Section of a key for grouping in help: the part before the first dot, or 'process'. */
export function sectionOf(key: Key): string {
  const dot = key.indexOf('.');
  return dot === -1 ? 'process' : key.slice(0, dot);
}

export const SECTION_TITLES: Readonly<Record<string, string>> = {
  kafka: 'Kafka',
  es: 'Elasticsearch / OpenSearch',
  sink: 'Sink',
  window: 'Trace windows',
  filter: 'Filters',
  check: 'Data quality',
  sample: 'Sampling',
  dependencies: 'Dependency links',
  process: 'Process',
  backpressure: 'Backpressure',
  http: 'HTTP collector',
  admin: 'Admin endpoint',
  log: 'Logging',
  replay: 'Replay',
  bench: 'Benchmark',
  decode: 'Decode',
  encode: 'Encode',
  produce: 'Produce',
  ship: 'Ship',
};

/** The `--config` file, the one setting read before all others (it is not itself an option of the file). */
export const CONFIG_FLAG = 'config';
export const CONFIG_ENV = 'TRACEFOLD_CONFIG';

/**
 * TRACEFOLD_* variables that are not options: the development scripts' own (infra/config.ts, the
 * demo, the test and bench scripts). They reach every tracefold process those scripts start (the
 * demo exports TRACEFOLD_SEARCH), so they are not reported as misspelt options.
 */
export const NON_OPTION_ENV: ReadonlySet<string> = new Set([
  CONFIG_ENV,
  'TRACEFOLD_CACHE',
  'TRACEFOLD_RUN_DIR',
  'TRACEFOLD_JAVA',
  'TRACEFOLD_MVN',
  'TRACEFOLD_SEARCH',
  'TRACEFOLD_SAMPLES',
  'TRACEFOLD_TEST_ENGINES',
  'TRACEFOLD_KEEP_SERVERS',
  'TRACEFOLD_OTEL_VENV',
  'TRACEFOLD_BENCH_DEBUG',
]);

/**
 * Zipkin server variables with no tracefold equivalent. A migrated deployment may still set them;
 * silently ignoring one that changes what is stored or how the cluster is reached would surprise.
 * Returns the warning, or undefined when the value is harmless.
 */
export const IGNORED_ZIPKIN_ENV: Readonly<Record<string, (value: string) => string | undefined>> = {
  COLLECTOR_SAMPLE_RATE: (v) =>
    Number(v) === 1
      ? undefined
      : `COLLECTOR_SAMPLE_RATE=${v} is ignored: tracefold does not sample at collection (configure sampling policies instead)`,
  STORAGE_TYPE: (v) =>
    v.toLowerCase() === 'elasticsearch' ? undefined : `STORAGE_TYPE=${v} is ignored: tracefold always writes to Elasticsearch/OpenSearch`,
  ES_CREDENTIALS_FILE: () =>
    'ES_CREDENTIALS_FILE is not supported: set ES_USERNAME/ES_PASSWORD (or TRACEFOLD_ES_USERNAME/TRACEFOLD_ES_PASSWORD)',
  ES_SSL_NO_VERIFY: (v) => (v.toLowerCase() === 'true' ? 'ES_SSL_NO_VERIFY is not supported: certificates are always verified' : undefined),
  ES_AWS_DOMAIN: () => 'ES_AWS_DOMAIN is not supported: give the domain endpoint in ES_HOSTS',
  ES_MAX_REQUESTS: () => 'ES_MAX_REQUESTS is ignored: the limit is per worker, see es.bulkMaxInFlight',
};
