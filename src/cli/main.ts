import { helpFor } from '../config/help.js';

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
  ship: async () => (await import('./ship.js')).command,
};

/** The command list, from the same schema as each command's --help. */
export function usage(): string {
  return helpFor();
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
