#!/usr/bin/env node
// Local real servers for integration tests and the demo: npx tsx infra/cli.ts --help

const USAGE = `usage: npx tsx infra/cli.ts <command> [names] [options]

commands:
  up [kafka] [opensearch] [zipkin] [elasticsearch]
                      fetch if needed, start and wait until ready; reuses healthy servers
                      (no names: kafka + the search engine in parallel, then zipkin on it)
  down [names]        stop servers tracefold started (no names: all, extra zipkins included)
  status              state and URL of each server
  logs <name> [-n N]  last N lines of a server's log (default 100)
  fetch [names]       only download the artifacts into the cache
  clean [names]       stop and delete server data (Kafka logs, indices); logs are kept

options:
  --zipkin-kafka-topic T   (up) enable Zipkin's Kafka collector on topic T
  --search ENGINE          opensearch (default) or elasticsearch: the engine 'up' starts and
                           the default Zipkin reads (same as TRACEFOLD_SEARCH=ENGINE)
  -h, --help

environment:
  TRACEFOLD_SEARCH (opensearch | elasticsearch)
  TF_KAFKA_PORT (9092; controller TF_KAFKA_CONTROLLER_PORT, default port+1)
  TF_OPENSEARCH_PORT (9200)  TF_ZIPKIN_PORT (9411)  TF_ELASTICSEARCH_PORT (9201)
  TRACEFOLD_CACHE (~/.cache/tracefold)  TRACEFOLD_RUN_DIR (<repo>/.tracefold/run)
  TRACEFOLD_JAVA (java from JAVA_HOME or PATH)  TRACEFOLD_MVN (mvn)`;

interface Args {
  command: string | undefined;
  names: string[];
  zipkinKafkaTopic: string | undefined;
  search: string | undefined;
  lines: number;
  help: boolean;
}

function parse(argv: string[]): Args {
  const args: Args = { command: undefined, names: [], zipkinKafkaTopic: undefined, search: undefined, lines: 100, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('-')) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '-h' || a === '--help') args.help = true;
    else if (a === '--zipkin-kafka-topic') args.zipkinKafkaTopic = value();
    else if (a.startsWith('--zipkin-kafka-topic=')) args.zipkinKafkaTopic = a.slice('--zipkin-kafka-topic='.length);
    else if (a === '--search') args.search = value();
    else if (a.startsWith('--search=')) args.search = a.slice('--search='.length);
    else if (a === '-n') args.lines = Number(value());
    else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else if (args.command === undefined) args.command = a;
    else args.names.push(a);
  }
  if (!Number.isInteger(args.lines) || args.lines <= 0) throw new Error('-n needs a positive integer');
  return args;
}

async function main(argv: string[]): Promise<number> {
  let args: Args;
  try {
    args = parse(argv);
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (args.help || args.command === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return args.help ? 0 : 2;
  }
  // infra/config.ts reads the choice when it is first imported, just below.
  if (args.search !== undefined) process.env.TRACEFOLD_SEARCH = args.search;
  // Imported lazily so a bad TF_*_PORT or TRACEFOLD_SEARCH value is reported like any other error.
  const { run } = await import('./commands.js');
  return run(args.command, args.names, { zipkinKafkaTopic: args.zipkinKafkaTopic, lines: args.lines });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const e = err as { message?: string; details?: string; name?: string };
    process.stderr.write(`error: ${e.message ?? String(err)}\n`);
    if (e.details) process.stderr.write(`${e.details}\n`);
    else if (e.name !== 'InfraError' && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    process.exitCode = 1;
  },
);
