/** Structured logs (pino) to stderr, so stdout stays free for command output (decode, --json). */
import { type Logger, pino } from 'pino';

export type { Logger } from 'pino';

export function createLogger(level: string, name = 'tracefold'): Logger {
  return pino({ name, level, base: { pid: process.pid } }, pino.destination({ dest: 2, sync: false }));
}
