/** Structured logs (pino) to stderr, so stdout stays free for command output (decode, --json). */
import { type Logger, pino } from 'pino';
import { prettyStream } from './pretty.js';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** Human-readable lines instead of JSON (`--log-pretty`). */
  readonly pretty?: boolean;
  readonly name?: string;
}

export function createLogger(level: string, options: LoggerOptions = {}): Logger {
  const { pretty = false, name = 'tracefold' } = options;
  const destination = pretty ? prettyStream(process.stderr) : pino.destination({ dest: 2, sync: false });
  return pino({ name, level, base: { pid: process.pid } }, destination);
}
