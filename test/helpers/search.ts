/**
 * Small direct reads of the search engine under test (SEARCH: OpenSearch, or Elasticsearch when
 * TRACEFOLD_SEARCH=elasticsearch) for assertions (plain fetch: independent of the code under test).
 */
import { spanIdentity } from './identity.js';
import { SEARCH } from './servers.js';

export async function countDocs(indexPattern: string): Promise<number> {
  await fetch(`${SEARCH}/${indexPattern}/_refresh?allow_no_indices=true&ignore_unavailable=true`, { method: 'POST' });
  const res = await fetch(`${SEARCH}/${indexPattern}/_count?allow_no_indices=true&ignore_unavailable=true`);
  const body = (await res.json()) as { count?: number };
  return body.count ?? 0;
}

/** Every `(traceId, id, kind, shared)` stored, with how often it occurs (scrolls through all docs). */
export async function storedSpanKeys(indexPattern: string): Promise<Map<string, number>> {
  await fetch(`${SEARCH}/${indexPattern}/_refresh?allow_no_indices=true&ignore_unavailable=true`, { method: 'POST' });
  const out = new Map<string, number>();
  type Page = { _scroll_id?: string; hits?: { hits: Array<{ _source: Record<string, unknown> }> } };
  const post = async (path: string, body: unknown): Promise<Page> => {
    const res = await fetch(`${SEARCH}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return (await res.json()) as Page;
  };
  let page = await post(`/${indexPattern}/_search?scroll=1m&allow_no_indices=true&ignore_unavailable=true`, {
    size: 5000,
    _source: ['traceId', 'id', 'kind', 'shared'],
    sort: ['_doc'],
  });
  for (;;) {
    const hits = page.hits?.hits ?? [];
    for (const h of hits) {
      const k = spanIdentity(h._source);
      out.set(k, (out.get(k) ?? 0) + 1);
    }
    if (hits.length === 0 || page._scroll_id === undefined) break;
    page = await post('/_search/scroll', { scroll: '1m', scroll_id: page._scroll_id });
  }
  return out;
}

export async function deleteIndices(pattern: string): Promise<void> {
  await fetch(`${SEARCH}/${pattern}?allow_no_indices=true&ignore_unavailable=true&expand_wildcards=all`, { method: 'DELETE' });
}
