#!/usr/bin/env bash
# Integration tests against real servers already running (scripts/test.sh starts them; to run
# alone: `npx tsx infra/cli.ts up` first). Tests fail, never skip, when a server is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(find test/integration -name '*.test.ts' | sort)
if [ "${#files[@]}" -eq 0 ]; then echo "no integration tests found" >&2; exit 1; fi
# One file at a time: they share the servers, and the machine has 2 cores.
exec node --import tsx --test --test-concurrency=1 --test-timeout=600000 --test-reporter=spec "${files[@]}"
