#!/usr/bin/env bash
# The main job on a local default: install what is missing, start Kafka + OpenSearch + Zipkin on
# 127.0.0.1, produce the sample traces into Kafka (mixed encodings), ingest them with tracefold,
# and print where to look. Servers are left running; `npx tsx infra/cli.ts down` stops them.
set -euo pipefail
cd "$(dirname "$0")/.."
SAMPLES=${TRACEFOLD_SAMPLES:-../shared/testdata/zipkin-v2}
TOPIC=${KAFKA_TOPIC:-zipkin}
if [ ! -d "$SAMPLES" ]; then echo "demo: sample traces not found at $SAMPLES (set TRACEFOLD_SAMPLES)"; exit 2; fi

bash scripts/setup.sh
npx tsx infra/cli.ts up
run_dir=.tracefold/run; mkdir -p "$run_dir/logs"

echo "== producing the sample traces to Kafka topic '$TOPIC' (6 partitions; JSON v2, Proto3, Thrift, JSON v1)"
mapfile -t files < <(find "$SAMPLES" -name '*.json' | sort)
formats=(json-v2 proto3 thrift json-v1)
for i in "${!files[@]}"; do
  f=${files[$i]}; fmt=${formats[$((i % 4))]}
  node bin/tracefold.js produce --topic "$TOPIC" --partitions 6 --format "$fmt" --spans-per-message 5 --shift-to-now "$f"
done

echo "== ingesting with tracefold (log: $run_dir/logs/ingest.log)"
KAFKA_TOPIC=$TOPIC node bin/tracefold.js ingest --window-quiet-ms 1s > "$run_dir/logs/ingest.log" 2>&1 &
ingest_pid=$!
trap 'kill -TERM $ingest_pid 2>/dev/null || true' EXIT
trace_id=$(node -e "const t=JSON.parse(require('fs').readFileSync(process.argv[1]));console.log(t[0].traceId.padStart(16,'0'))" "${files[0]}")
deadline=$((SECONDS + 120))
until curl -fsS "http://127.0.0.1:9411/api/v2/trace/$trace_id" >/dev/null 2>&1; do
  if ! kill -0 $ingest_pid 2>/dev/null; then echo "demo: ingest exited early; last log lines:"; tail -20 "$run_dir/logs/ingest.log"; exit 1; fi
  if [ $SECONDS -ge $deadline ]; then echo "demo: trace $trace_id not searchable after 120 s; see $run_dir/logs/ingest.log"; exit 1; fi
  sleep 1
done
sleep 2
kill -TERM $ingest_pid; wait $ingest_pid || true; trap - EXIT
services=$(curl -fsS "http://127.0.0.1:9411/api/v2/services")
echo
echo "Done. tracefold ingested ${#files[@]} sample traces into OpenSearch (index prefix 'zipkin')."
echo "  services seen by Zipkin:  $services"
echo "  open a trace in the UI:   http://127.0.0.1:9411/zipkin/traces/$trace_id"
echo "  search all:               http://127.0.0.1:9411/zipkin/"
echo "  ingest log:               $run_dir/logs/ingest.log"
echo "  stop the servers:         npx tsx infra/cli.ts down"
