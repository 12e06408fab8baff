#!/usr/bin/env bash
# Fast unit tests: no servers. node:test via tsx; files are listed explicitly because
# `tsx --test` with no list finds nothing on Node 20.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(find test/unit -name '*.test.ts' | sort)
if [ "${#files[@]}" -eq 0 ]; then echo "no unit tests found" >&2; exit 1; fi
exec node --import tsx --test --test-reporter=spec "${files[@]}"
