#!/usr/bin/env bash
# GetItem/PutItem over HTTP (one keep-alive connection) against the emulator and dynalite, measured
# by the same client in the same run. Installs dynalite under target/ (idempotent).
# Usage: scripts/bench-http.sh [requests]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
requests="${1:-20000}"
peers="$root/target/peers"
mkdir -p "$peers"
if [ ! -x "$peers/node_modules/.bin/dynalite" ]; then
  npm install --silent --prefix "$peers" dynalite@3 >/dev/null
fi
cargo build --release -q -p dynamodb-emulator --example http_load
load="$root/target/release/examples/http_load"

port=$((20000 + RANDOM % 20000))
"$peers/node_modules/.bin/dynalite" --port "$port" --createTableMs 0 --deleteTableMs 0 --updateTableMs 0 &
dyn_pid=$!
trap 'kill $dyn_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -s -o /dev/null "http://127.0.0.1:$port" && break
  sleep 0.1
done
"$load" --label emulator --requests "$requests" --floor
"$load" --label emulator --requests "$requests" --connections 4
"$load" --label dynalite --endpoint "http://127.0.0.1:$port" --requests "$((requests / 4))"
"$load" --label dynalite --endpoint "http://127.0.0.1:$port" --requests "$((requests / 4))" --connections 4
