#!/usr/bin/env bash
# Heavy regression runs (crash/restart, fuzzing at volume) against the running servers.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(find test/regression -name '*.test.ts' 2>/dev/null | sort)
if [ "${#files[@]}" -eq 0 ]; then echo "no regression tests found" >&2; exit 1; fi
exec node --import tsx --test --test-concurrency=1 --test-timeout=900000 --test-reporter=spec "${files[@]}"
