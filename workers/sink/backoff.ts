/**
 * Capped exponential backoff with full jitter: `random() * min(maxMs, initialMs * 2^(attempt-1))`
 * (AWS "Exponential Backoff And Jitter"). Full jitter spreads a burst of 429s over the whole
 * window instead of re-synchronising every retry on the same instant.
 */

/** Upper bound of the wait before attempt `attempt + 1` (attempt ≥ 1 failures so far). */
export function backoffCeiling(attempt: number, initialMs: number, maxMs: number): number {
  const exp = initialMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30);
  return Math.min(maxMs, exp);
}

/** Full jitter: uniform in [0, ceiling). */
export function backoffMs(attempt: number, initialMs: number, maxMs: number, random: () => number): number {
  return Math.floor(random() * backoffCeiling(attempt, initialMs, maxMs));
}
