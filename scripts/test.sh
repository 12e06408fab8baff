#!/usr/bin/env bash
# The whole test suite, as CI runs it: setup, type check, lint, unit tests, then integration and
# regression tests against real Kafka, OpenSearch and Zipkin servers that this script starts
# on 127.0.0.1 and stops again, whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

echo "== type check"; npx tsc --noEmit -p tsconfig.json
echo "== lint"; npx biome check .

results=$(mktemp -d)
status=0
run_suite() { # name script
  echo "== $1"
  set +e
  bash "$2" 2>&1 | tee "$results/$1.log"
  local rc=${PIPESTATUS[0]}
  set -e
  if [ "$rc" -ne 0 ]; then echo "== $1 FAILED (exit $rc)"; status=1; fi
}

run_suite unit scripts/test-unit.sh

started_here=0
cleanup() {
  if [ "$started_here" = 1 ] && [ "${TRACEFOLD_KEEP_SERVERS:-0}" != 1 ]; then
    echo "== stopping servers"; npx tsx infra/cli.ts down || true
  fi
}
trap cleanup EXIT
echo "== starting Kafka, OpenSearch and Zipkin on 127.0.0.1"
started_here=1
if ! npx tsx infra/cli.ts up; then
  echo "== could not start the servers the integration tests need (see the log tail above)"; exit 1
fi

run_suite integration scripts/test-integration.sh
run_suite regression scripts/test-regression.sh

pass=0; fail=0
for f in "$results"/*.log; do
  p=$(grep -E '^ℹ pass [0-9]+' "$f" | awk '{s+=$3} END {print s+0}')
  q=$(grep -E '^ℹ fail [0-9]+' "$f" | awk '{s+=$3} END {print s+0}')
  pass=$((pass + p)); fail=$((fail + q))
done
echo "tests: $pass passed, $fail failed"
exit $status
