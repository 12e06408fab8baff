/**
 * `tracefold <command>`: one file per subcommand, loaded lazily so `decode` never pays for Kafka.
 * Exit codes: 0 ok, 1 partial failure (e.g. some spans bad), 2 usage or fatal error.
 */
export interface Command {
  summary: string;
  run(argv: string[]): Promise<number>;
}

const COMMANDS: Record<string, () => Promise<Command>> = {
  ingest: async () => (await import('./ingest.js')).command,
  replay: async () => (await import('./replay.js')).command,
  bench: async () => (await import('./bench.js')).command,
  decode: async () => (await import('./decode.js')).command,
  encode: async () => (await import('./encode.js')).command,
  produce: async () => (await import('./produce.js')).command,
};

const SUMMARIES: Record<keyof typeof COMMANDS, string> = {
  ingest: 'run a long-lived ingest node: Kafka → decode → check → filter → assemble → sample → Elasticsearch/OpenSearch',
  replay: 're-ingest a bounded range of a topic (offsets or times) with progress, then exit',
  bench: 'run the benchmark harness (micro, pipeline, Kafka end-to-end, side by side with Zipkin)',
  decode: 'decode one raw Kafka message (any Zipkin encoding) to canonical JSON v2',
  encode: 'encode a JSON v2 span array as json-v2, json-v1, thrift or proto3',
  produce: 'publish trace files to a Kafka topic in a chosen encoding (tests and demos)',
};

export function usage(): string {
  const lines = [
    'Usage: tracefold <command> [options]',
    '',
    'A high-throughput, loss-free ingest node for Zipkin spans: Kafka in, Zipkin-compatible',
    'Elasticsearch/OpenSearch documents out.',
    '',
    'Commands:',
  ];
  for (const [name, summary] of Object.entries(SUMMARIES)) lines.push(`  ${name.padEnd(9)}${summary}`);
  lines.push('', 'Run `tracefold <command> --help` for the options of a command.', '');
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write('tracefold 0.1.0\n');
    return 0;
  }
  const load = COMMANDS[name];
  if (load === undefined) {
    process.stderr.write(`tracefold: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  const command = await load();
  return command.run(rest);
}
