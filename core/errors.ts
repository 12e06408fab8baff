/**
 * One error type with a stable `TF_*` code and structured context (topic, partition, offset…),
 * so logs and metrics can be keyed by code, and users get one clear line.
 */
export type ErrorCode =
  | 'TF_CONFIG'
  | 'TF_USAGE'
  | 'TF_INPUT'
  | 'TF_KAFKA_UNREACHABLE'
  | 'TF_KAFKA_ADMIN'
  | 'TF_KAFKA_PRODUCE'
  | 'TF_KAFKA_CONSUME'
  | 'TF_KAFKA_COMMIT'
  | 'TF_SEARCH_UNREACHABLE'
  | 'TF_SEARCH_AUTH'
  | 'TF_KAFKA_AUTH'
  | 'TF_KAFKA_FENCED'
  | 'TF_SEARCH_TEMPLATE'
  | 'TF_WORKER_FAILED'
  | 'TF_LISTEN'
  | 'TF_SHUTDOWN_TIMEOUT';

export interface ErrorContext {
  topic?: string;
  partition?: number;
  offset?: number;
  [key: string]: string | number | boolean | undefined;
}

export class TracefoldError extends Error {
  readonly code: ErrorCode;
  readonly context: ErrorContext;

  constructor(code: ErrorCode, message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TracefoldError';
    this.code = code;
    this.context = context;
  }
}

/** One line for a human: `tracefold: <message> [<code>]`. */
export function formatError(err: unknown): string {
  if (err instanceof TracefoldError) return `tracefold: ${err.message} [${err.code}]`;
  if (err instanceof Error) return `tracefold: ${err.message}`;
  return `tracefold: ${String(err)}`;
}
