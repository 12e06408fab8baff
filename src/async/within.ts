/**
 * Waits for a promise at most `ms`: true when it fulfilled in time, false when the time ran out
 * first (the promise is left running); a rejection in time rejects. The timer is always cleared, so
 * a bounded wait never keeps the process alive after its promise settled.
 */
export async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, ms));
  });
  try {
    return await Promise.race([p.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
