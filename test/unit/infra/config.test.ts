import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ELASTICSEARCH_URL, OPENSEARCH_URL, parseSearchEngine, searchEngineUrl } from '../../../infra/config.js';
import { zipkinEnv } from '../../../infra/zipkin.js';

describe('search engine choice (TRACEFOLD_SEARCH)', () => {
  it('defaults to OpenSearch and accepts either engine, in any case', () => {
    assert.equal(parseSearchEngine(undefined), 'opensearch');
    assert.equal(parseSearchEngine(''), 'opensearch');
    assert.equal(parseSearchEngine('elasticsearch'), 'elasticsearch');
    assert.equal(parseSearchEngine('ElasticSearch'), 'elasticsearch');
    assert.equal(parseSearchEngine('opensearch'), 'opensearch');
  });

  it('refuses anything else, naming the variable and the choices', () => {
    assert.throws(() => parseSearchEngine('solr'), /TRACEFOLD_SEARCH=solr .*opensearch, elasticsearch/);
  });

  it('maps each engine to its own infra port', () => {
    assert.equal(searchEngineUrl('opensearch'), OPENSEARCH_URL);
    assert.equal(searchEngineUrl('elasticsearch'), ELASTICSEARCH_URL);
    assert.notEqual(OPENSEARCH_URL, ELASTICSEARCH_URL);
  });

  it('a Zipkin given esHosts reads that engine; otherwise the chosen one', () => {
    assert.equal(zipkinEnv({ esHosts: ELASTICSEARCH_URL }).ES_HOSTS, ELASTICSEARCH_URL);
    const chosen = searchEngineUrl(parseSearchEngine(process.env.TRACEFOLD_SEARCH));
    assert.equal(zipkinEnv({}).ES_HOSTS, chosen);
  });
});
