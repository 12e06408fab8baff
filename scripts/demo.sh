#!/usr/bin/env bash
# The main job on a local default: install what is missing, start Kafka + a search engine + Zipkin
# on 127.0.0.1, produce the sample traces into Kafka (mixed encodings), ingest them with tracefold,
# and print where to look. Servers are left running; `npx tsx infra/cli.ts down` stops them.
#
#   bash scripts/demo.sh                                  on OpenSearch 2.19 (:9200)
#   TRACEFOLD_SEARCH=elasticsearch bash scripts/demo.sh   on Elasticsearch 7.10.2 (:9201)
#   bash scripts/demo.sh --ship                           a service's span log → tracefold ship → Kafka →
#                                                         tracefold ingest → Zipkin UI (instead of produce)
#
# Ports follow infra/'s TF_KAFKA_PORT, TF_OPENSEARCH_PORT, TF_ELASTICSEARCH_PORT, TF_ZIPKIN_PORT.
set -euo pipefail
cd "$(dirname "$0")/.."
SAMPLES=${TRACEFOLD_SAMPLES:-../shared/testdata/zipkin-v2}
ship=false
case ${1:-} in
  --ship) ship=true ;;
  '') ;;
  *) echo "usage: bash scripts/demo.sh [--ship]"; exit 2 ;;
esac
TOPIC=${KAFKA_TOPIC:-zipkin}
if [ ! -d "$SAMPLES" ]; then echo "demo: sample traces not found at $SAMPLES (set TRACEFOLD_SAMPLES)"; exit 2; fi

# The same defaults as infra/config.ts, which `infra/cli.ts up` below uses to start the servers.
export TRACEFOLD_SEARCH=${TRACEFOLD_SEARCH:-opensearch}
case $TRACEFOLD_SEARCH in
  opensearch) engine="OpenSearch"; search_url="http://127.0.0.1:${TF_OPENSEARCH_PORT:-9200}" ;;
  elasticsearch) engine="Elasticsearch"; search_url="http://127.0.0.1:${TF_ELASTICSEARCH_PORT:-9201}" ;;
  *) echo "demo: TRACEFOLD_SEARCH=$TRACEFOLD_SEARCH is not a search engine the demo can run (opensearch, elasticsearch)"; exit 2 ;;
esac
kafka="127.0.0.1:${TF_KAFKA_PORT:-9092}"
zipkin_url="http://127.0.0.1:${TF_ZIPKIN_PORT:-9411}"
run_dir=${TRACEFOLD_RUN_DIR:-.tracefold/run}

bash scripts/setup.sh
echo "== starting Kafka, $engine and Zipkin (reading $engine) on 127.0.0.1"
npx tsx infra/cli.ts up
mkdir -p "$run_dir/logs"

mapfile -t files < <(find "$SAMPLES" -name '*.json' | sort)
ship_pid=
if $ship; then
  # A service's span log: one JSON array of spans per line, timestamps moved to now. The shipper
  # tails it (and any later *.log beside it) and produces each trace, keyed by trace ID, to Kafka.
  log_dir="$run_dir/demo-service-logs"
  rm -rf "$log_dir" && mkdir -p "$log_dir"
  node -e '
    const fs = require("fs");
    const now = Date.now() * 1000;
    const lines = process.argv.slice(2).map((f) => {
      const spans = [].concat(JSON.parse(fs.readFileSync(f, "utf8")));
      const first = Math.min(...spans.map((s) => s.timestamp ?? Infinity));
      const shift = Number.isFinite(first) ? now - first : 0;
      const moved = spans.map((s) => ({
        ...s,
        ...(s.timestamp === undefined ? {} : { timestamp: s.timestamp + shift }),
        ...(s.annotations === undefined ? {} : { annotations: s.annotations.map((a) => ({ ...a, timestamp: a.timestamp + shift })) }),
      }));
      return JSON.stringify(moved);
    });
    fs.writeFileSync(process.argv[1], lines.join(String.fromCharCode(10)) + String.fromCharCode(10));
  ' "$log_dir/service.log" "${files[@]}"
  echo "== shipping the service log $log_dir/service.log to Kafka topic '$TOPIC' with tracefold ship (log: $run_dir/logs/ship.log)"
  node bin/tracefold.js ship --bootstrap-servers "$kafka" --topic "$TOPIC" --path "$log_dir/*.log" \
    --position-file "$run_dir/demo-ship.positions.json" --admin-port 0 > "$run_dir/logs/ship.log" 2>&1 &
  ship_pid=$!
else
  echo "== producing the sample traces to Kafka topic '$TOPIC' (6 partitions; JSON v2, Proto3, Thrift, JSON v1)"
  formats=(json-v2 proto3 thrift json-v1)
  for i in "${!files[@]}"; do
    f=${files[$i]}; fmt=${formats[$((i % 4))]}
    node bin/tracefold.js produce --bootstrap-servers "$kafka" --topic "$TOPIC" --partitions 6 --format "$fmt" --spans-per-message 5 --shift-to-now "$f"
  done
fi

echo "== ingesting with tracefold into $engine at $search_url (log: $run_dir/logs/ingest.log)"
KAFKA_BOOTSTRAP_SERVERS=$kafka KAFKA_TOPIC=$TOPIC ES_HOSTS=$search_url node bin/tracefold.js ingest --window-quiet-ms 1s > "$run_dir/logs/ingest.log" 2>&1 &
ingest_pid=$!
trap 'kill -TERM $ingest_pid $ship_pid 2>/dev/null || true' EXIT
trace_id=$(node -e "const t=JSON.parse(require('fs').readFileSync(process.argv[1]));console.log(t[0].traceId.padStart(16,'0'))" "${files[0]}")
deadline=$((SECONDS + 120))
until curl -fsS "$zipkin_url/api/v2/trace/$trace_id" >/dev/null 2>&1; do
  if ! kill -0 $ingest_pid 2>/dev/null; then echo "demo: ingest exited early; last log lines:"; tail -20 "$run_dir/logs/ingest.log"; exit 1; fi
  if [ $SECONDS -ge $deadline ]; then echo "demo: trace $trace_id not searchable after 120 s; see $run_dir/logs/ingest.log"; exit 1; fi
  sleep 1
done
sleep 2
kill -TERM $ingest_pid; wait $ingest_pid || true
if [ -n "$ship_pid" ]; then kill -TERM "$ship_pid"; wait "$ship_pid" || true; fi
trap - EXIT
services=$(curl -fsS "$zipkin_url/api/v2/services")
echo
if $ship; then echo "Shipped from $run_dir/demo-service-logs/service.log by tracefold ship (log: $run_dir/logs/ship.log)."; fi
echo "Done. tracefold ingested ${#files[@]} sample traces into $engine at $search_url (index prefix 'zipkin')."
echo "  services seen by Zipkin:  $services"
echo "  open a trace in the UI:   $zipkin_url/zipkin/traces/$trace_id"
echo "  search all:               $zipkin_url/zipkin/"
echo "  ingest log:               $run_dir/logs/ingest.log"
echo "  stop the servers:         npx tsx infra/cli.ts down"
