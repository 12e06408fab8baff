#!/usr/bin/env bash
# Integration tests against real servers already running (scripts/test.sh starts them; to run
# alone: `npx tsx infra/cli.ts up` first). Tests fail, never skip, when a server is missing.
#
#   bash scripts/test-integration.sh                 every integration test, on OpenSearch
#   TRACEFOLD_SEARCH=elasticsearch bash scripts/test-integration.sh
#                                                    the search-engine tests (SEARCH_ENGINE_TESTS)
#                                                    on Elasticsearch (`infra/cli.ts up elasticsearch`)
#   bash scripts/test-integration.sh FILE...         just those files, on TRACEFOLD_SEARCH's engine
set -euo pipefail
cd "$(dirname "$0")/.."

# The tests whose outcome depends on the search engine: the sink (templates, bulk writes, read-back,
# mapping-conflict dead letters), the dead-letter path end to end, and the Zipkin equivalence oracle.
SEARCH_ENGINE_TESTS=(
  test/integration/sink/elasticsearch.test.ts
  test/integration/sink/dead-letter.test.ts
  test/integration/ingest/zipkin-equivalence.test.ts
)

engine=${TRACEFOLD_SEARCH:-opensearch}
if [ "$#" -gt 0 ]; then
  files=("$@")
elif [ "$engine" = opensearch ]; then
  mapfile -t files < <(find test/integration -name '*.test.ts' | sort)
else
  files=("${SEARCH_ENGINE_TESTS[@]}")
fi
if [ "${#files[@]}" -eq 0 ]; then echo "no integration tests found" >&2; exit 1; fi
for f in "${files[@]}"; do [ -f "$f" ] || { echo "no such test file: $f" >&2; exit 1; }; done
echo "integration tests on search engine '$engine': ${#files[@]} files"
# One file at a time: they share the servers, and the machine has 2 cores.
exec node --import tsx --test --test-concurrency=1 --test-timeout=600000 --test-reporter=spec "${files[@]}"
