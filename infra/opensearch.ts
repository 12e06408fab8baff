import { OPENSEARCH_ARTIFACTS } from './artifacts.js';
import { OPENSEARCH_PORT, VERSIONS } from './config.js';
import { distribution, searchNodeSpec } from './search-node.js';
import type { ServerSpec } from './server.js';

export function opensearchSpec(): ServerSpec {
  return searchNodeSpec({
    name: 'opensearch',
    kind: 'opensearch',
    port: OPENSEARCH_PORT,
    artifacts: OPENSEARCH_ARTIFACTS,
    mainClass: 'org.codelibs.opensearch.runner.OpenSearchRunner',
    configName: 'opensearch.yml',
    version: VERSIONS.opensearchRunner,
    heap: '1g',
    // Same as OpenSearch 2.x's jvm.options on JDK 9+: keeps date/locale parsing identical to the distribution.
    extraJvmArgs: ['-Djava.locale.providers=SPI,COMPAT'],
    isExpected: (root) => distribution(root) === 'opensearch',
  });
}
