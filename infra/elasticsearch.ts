import { ELASTICSEARCH_ARTIFACTS } from './artifacts.js';
import { ELASTICSEARCH_PORT, VERSIONS } from './config.js';
import { field } from './http.js';
import { distribution, searchNodeSpec } from './search-node.js';
import type { ServerSpec } from './server.js';

/** Real Elasticsearch 7.10.2 (the last Apache-2.0 release) for compatibility checks; not started by default. */
export function elasticsearchSpec(): ServerSpec {
  return searchNodeSpec({
    name: 'elasticsearch',
    kind: 'elasticsearch',
    port: ELASTICSEARCH_PORT,
    artifacts: ELASTICSEARCH_ARTIFACTS,
    mainClass: 'org.codelibs.elasticsearch.runner.ElasticsearchClusterRunner',
    configName: 'elasticsearch.yml',
    version: VERSIONS.elasticsearchRunner,
    heap: '1g',
    extraJvmArgs: ['-Djava.locale.providers=SPI,COMPAT'],
    // Elasticsearch has no version.distribution; OpenSearch always reports "opensearch".
    isExpected: (root) => distribution(root) === undefined && typeof field(root, 'version', 'number') === 'string',
  });
}
