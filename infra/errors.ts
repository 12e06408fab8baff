/**
 * A failure the user can act on: `message` is the one-line reason printed first,
 * `details` (usually a log tail) follows it.
 */
export class InfraError extends Error {
  readonly details: string | undefined;

  constructor(message: string, details?: string) {
    super(message);
    this.name = 'InfraError';
    this.details = details;
  }
}
