#!/usr/bin/env bash
# Installs what tracefold needs on a fresh machine: the C libraries node-rdkafka compiles in
# (zstd, lz4, SASL), the npm packages (lockfile), and the compiled CLI. Idempotent and quiet
# when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
for pkg in libzstd-dev liblz4-dev libsasl2-dev; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
# The browser tests (test/integration/ui) drive Debian's Chromium through playwright-core; no
# browser is ever downloaded by npm.
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
if [ "${#need_apt[@]}" -gt 0 ]; then
  echo "setup: installing ${need_apt[*]} (node-rdkafka compiles zstd/lz4/SASL support in; chromium for the browser tests)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# Build native addons against the installed Node headers: no header download.
if [ -d /usr/include/node ]; then export npm_config_nodedir=/usr; fi
# node-gyp in parallel failed on this kind of machine; build serially.
export JOBS=1

stamp=node_modules/.tracefold-installed
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  echo "setup: npm ci (node-rdkafka compiles librdkafka: about 2 minutes on 2 cores)"
  npm ci --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi
node -e "const f=require('node-rdkafka').features; for (const x of ['zstd','lz4','sasl_scram']) if(!f.includes(x)) { console.error('setup: node-rdkafka lacks '+x+'; reinstall after apt-get install libzstd-dev liblz4-dev libsasl2-dev'); process.exit(1) }"
npx tsc -p tsconfig.build.json && node scripts/copy-assets.mjs

# The OpenTelemetry Python SDK (PyPI) for the OTLP oracle tests and OTLP test traffic
# (test/fixtures/otel/make_spans.py), in a venv outside the repo. Pinned so the oracle is stable.
otel_venv="${TRACEFOLD_OTEL_VENV:-$HOME/.cache/tracefold/otel-venv}"
otel_pkgs="opentelemetry-sdk==1.45.2 opentelemetry-exporter-zipkin-json==1.45.1 opentelemetry-exporter-otlp-proto-common==1.45.2 opentelemetry-exporter-otlp-proto-http==1.45.2"
if [ ! -f "$otel_venv/.tracefold-$(echo "$otel_pkgs" | md5sum | cut -c1-8)" ]; then
  echo "setup: OpenTelemetry Python SDK into $otel_venv (OTLP oracle tests)"
  python3 -m venv "$otel_venv"
  "$otel_venv/bin/pip" install -q --disable-pip-version-check $otel_pkgs
  touch "$otel_venv/.tracefold-$(echo "$otel_pkgs" | md5sum | cut -c1-8)"
fi
