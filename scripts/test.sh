#!/usr/bin/env bash
# The whole test suite, as CI runs it: setup, type check, lint, unit tests, then integration and
# regression tests against real Kafka, OpenSearch and Zipkin servers that this script starts
# on 127.0.0.1 and stops again, whatever happens, and the search-engine integration tests a second
# time against a real Elasticsearch 7.10.2 (TRACEFOLD_TEST_ENGINES="opensearch" skips that pass).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

echo "== type check"; npx tsc --noEmit -p tsconfig.json
echo "== lint"; npx biome check .

results=$(mktemp -d)
status=0
run_suite() { # name command...
  local name=$1 started=$SECONDS
  shift
  echo "== $name"
  set +e
  "$@" 2>&1 | tee "$results/$name.log"
  local rc=${PIPESTATUS[0]}
  set -e
  if [ "$rc" -ne 0 ]; then echo "== $name FAILED (exit $rc)"; status=1; fi
  echo "== $name took $((SECONDS - started)) s"
}

run_suite unit bash scripts/test-unit.sh

started_here=0
cleanup() {
  # A test file that dies (a crash, not a failed assertion) never runs its `finally`: the tracefold
  # nodes it started from this checkout would outlive the run (seen in CI).
  local left
  left=$(pgrep -f -- "$PWD/src/cli/run.ts" || true)
  if [ -n "$left" ]; then
    echo "== stopping tracefold processes a test left running: $(echo "$left" | tr '\n' ' ')"
    kill -KILL $left 2>/dev/null || true
  fi
  if [ "$started_here" = 1 ] && [ "${TRACEFOLD_KEEP_SERVERS:-0}" != 1 ]; then
    echo "== stopping servers"; npx tsx infra/cli.ts down || true
  fi
}
trap cleanup EXIT
# The main stack and passes are on OpenSearch whatever the caller's shell says; only the second
# pass below switches the engine.
export TRACEFOLD_SEARCH=opensearch
engines=${TRACEFOLD_TEST_ENGINES:-opensearch elasticsearch}
servers=(kafka opensearch zipkin)
for engine in $engines; do
  case $engine in
    opensearch) ;;
    elasticsearch) servers+=(elasticsearch) ;;
    *) echo "TRACEFOLD_TEST_ENGINES: unknown search engine '$engine' (opensearch, elasticsearch)"; exit 2 ;;
  esac
done
echo "== starting ${servers[*]} on 127.0.0.1"
started_here=1
up_started=$SECONDS
# One `up`: artifacts are fetched one server at a time, then the servers start in parallel.
if ! npx tsx infra/cli.ts up "${servers[@]}"; then
  echo "== could not start the servers the integration tests need (see the log tail above)"; exit 1
fi
echo "== servers up in $((SECONDS - up_started)) s"

run_suite integration bash scripts/test-integration.sh
# The search-engine tests again on Elasticsearch; their titles and this suite's name say so.
if [[ " ${servers[*]} " == *" elasticsearch "* ]]; then
  run_suite integration-elasticsearch env TRACEFOLD_SEARCH=elasticsearch bash scripts/test-integration.sh
fi
run_suite regression bash scripts/test-regression.sh

pass=0; fail=0
for f in "$results"/*.log; do
  p=$(grep -E '^ℹ pass [0-9]+' "$f" | awk '{s+=$3} END {print s+0}')
  q=$(grep -E '^ℹ fail [0-9]+' "$f" | awk '{s+=$3} END {print s+0}')
  pass=$((pass + p)); fail=$((fail + q))
done
echo "tests: $pass passed, $fail failed"
exit $status
