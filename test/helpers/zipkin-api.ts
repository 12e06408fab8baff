/**
 * Reads from a stock Zipkin server's API, the tests' oracle. On this 2-core machine Zipkin now and
 * then answers 500 when its own search-engine call timed out or hit a day index still being
 * created: that is the oracle's hiccup, not its answer, so it is asked again a few times before a
 * test judges. 404 (no such trace) is an answer: null.
 */
export async function zipkinGet<T>(base: string, path: string, attempts = 4): Promise<T | null> {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${base}${path}`);
    if (res.status === 404) {
      await res.arrayBuffer();
      return null;
    }
    if (res.status >= 500 && attempt < attempts) {
      await res.arrayBuffer();
      await new Promise((r) => setTimeout(r, 1000 * attempt));
      continue;
    }
    if (res.status !== 200) throw new Error(`${base}${path} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
    return (await res.json()) as T;
  }
}
