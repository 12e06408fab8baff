/**
 * Small direct reads of the search engine under test (SEARCH: OpenSearch, or Elasticsearch when
 * TRACEFOLD_SEARCH=elasticsearch) for assertions (plain fetch: independent of the code under test).
 */
import { spanIdentity } from './identity.js';
import { SEARCH } from './servers.js';

export async function countDocs(indexPattern: string): Promise<number> {
  await fetch(`${SEARCH}/${indexPattern}/_refresh?allow_no_indices=true&ignore_unavailable=true`, { method: 'POST' });
  const res = await fetch(`${SEARCH}/${indexPattern}/_count?allow_no_indices=true&ignore_unavailable=true`);
  const body = (await res.json()) as { count?: number; error?: unknown };
  if (!res.ok || typeof body.count !== 'number') {
    throw new Error(`count of ${indexPattern} failed (HTTP ${res.status}): ${JSON.stringify(body.error ?? body).slice(0, 300)}`);
  }
  return body.count;
}

/**
 * The `_source` fields `fields` of every document in `indexPattern`, scrolled through in pages.
 * Throws when the engine refuses the search: an error must not read as "nothing stored", or a
 * test polling for documents waits out its deadline and blames the code under test. Each scroll
 * is cleared at once: left to expire, the contexts of a test polling twice a second over a dozen
 * daily indices pass the engine's limit (500) within a minute, and every search after that fails.
 */
export async function scrollSources(indexPattern: string, fields: readonly string[]): Promise<Array<Record<string, unknown>>> {
  await fetch(`${SEARCH}/${indexPattern}/_refresh?allow_no_indices=true&ignore_unavailable=true`, { method: 'POST' });
  type Page = { _scroll_id?: string; hits?: { hits: Array<{ _source: Record<string, unknown> }> }; error?: unknown };
  const post = async (path: string, body: unknown): Promise<Page> => {
    const res = await fetch(`${SEARCH}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const page = (await res.json()) as Page;
    if (!res.ok || page.error !== undefined) {
      throw new Error(`search of ${indexPattern} failed (HTTP ${res.status}): ${JSON.stringify(page.error ?? page).slice(0, 300)}`);
    }
    return page;
  };
  const out: Array<Record<string, unknown>> = [];
  let scrollId: string | undefined;
  try {
    let page = await post(`/${indexPattern}/_search?scroll=1m&allow_no_indices=true&ignore_unavailable=true`, {
      size: 5000,
      _source: fields,
      sort: ['_doc'],
    });
    for (;;) {
      scrollId = page._scroll_id;
      const hits = page.hits?.hits ?? [];
      for (const h of hits) out.push(h._source);
      if (hits.length === 0 || scrollId === undefined) break;
      page = await post('/_search/scroll', { scroll: '1m', scroll_id: scrollId });
    }
  } finally {
    if (scrollId !== undefined) {
      await fetch(`${SEARCH}/_search/scroll`, {
        method: 'DELETE',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ scroll_id: scrollId }),
      }).catch(() => undefined);
    }
  }
  return out;
}

/** Every `(traceId, id, kind, shared)` stored, with how often it occurs. */
export async function storedSpanKeys(indexPattern: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const source of await scrollSources(indexPattern, ['traceId', 'id', 'kind', 'shared'])) {
    const k = spanIdentity(source);
    out.set(k, (out.get(k) ?? 0) + 1);
  }
  return out;
}

export async function deleteIndices(pattern: string): Promise<void> {
  await fetch(`${SEARCH}/${pattern}?allow_no_indices=true&ignore_unavailable=true&expand_wildcards=all`, { method: 'DELETE' });
}
