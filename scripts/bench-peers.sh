#!/usr/bin/env bash
# The emulator, dynalite and DynamoDB Local measured by one client in one run: GetItem, PutItem
# and Query (100 items) over 1 and 8 keep-alive connections (models off: strong reads, no
# throttling), then a bulk load with BatchWriteItem on 8 connections and the server's RSS
# growth per item loaded (the emulator at its default consistency). Installs dynalite and
# DynamoDB Local under target/ (idempotent). Prints a markdown table of ratios to the best peer.
#
# Usage: scripts/bench-peers.sh [requests] [items]      (defaults 20000 and 200000)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
requests="${1:-20000}"
items="${2:-200000}"
peers="$root/target/peers"
out="$root/target/bench-peers"
mkdir -p "$peers" "$out"
if [ ! -x "$peers/node_modules/.bin/dynalite" ] || ! grep -q '"version": "4' "$peers/node_modules/dynalite/package.json"; then
  npm install --silent --no-audit --no-fund --prefix "$peers" dynalite@4 >/dev/null
fi
"$root/scripts/dynamodb-local.sh" install >/dev/null
cargo build --release -q -p dynamodb-emulator --bin dynamodb-emulator --example http_load
load="$root/target/release/examples/http_load"
emulator="$root/target/release/dynamodb-emulator"

pid=""
port=""
answers() {
  curl -s -o /dev/null -m 2 -X POST "http://127.0.0.1:$1" \
    -H 'Content-Type: application/x-amz-json-1.0' -H 'X-Amz-Target: DynamoDB_20120810.ListTables' \
    -H 'Authorization: AWS4-HMAC-SHA256 Credential=k/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0' \
    -d '{}'
}
start() { # server [emulator flags...]
  local server="$1"; shift
  port=$((20000 + RANDOM % 20000))
  case "$server" in
    emulator) "$emulator" --port "$port" "$@" >"$out/emulator.log" 2>&1 & pid=$! ;;
    dynalite) "$peers/node_modules/.bin/dynalite" --port "$port" --createTableMs 0 --deleteTableMs 0 --updateTableMs 0 \
                >"$out/dynalite.log" 2>&1 & pid=$! ;;
    local) "$root/scripts/dynamodb-local.sh" start --port "$port" >/dev/null
           pid="$(cat "$root/target/dynamodb-local/run/$port.pid")" ;;
  esac
  for _ in $(seq 1 200); do answers "$port" && return 0; sleep 0.1; done
  echo "$server did not answer on port $port" >&2; exit 1
}
stop() { # server
  if [ "$1" = local ]; then "$root/scripts/dynamodb-local.sh" stop --port "$port"; else kill "$pid" 2>/dev/null || true; fi
  wait "$pid" 2>/dev/null || true
}
trap 'kill $pid 2>/dev/null || true; "$root/scripts/dynamodb-local.sh" stop >/dev/null 2>&1 || true' EXIT
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

results="$out/results.txt"
: >"$results"
for server in emulator dynalite local; do
  flags=()
  [ "$server" = emulator ] && flags=(--consistency strong --no-throttling)
  n="$requests"
  [ "$server" = emulator ] || n=$((requests / 4))
  start "$server" "${flags[@]}"
  # The machine's TCP echo floor, once, with the emulator's first run.
  floor=()
  [ "$server" = emulator ] && floor=(--floor)
  for c in 1 8; do
    "$load" --label "$server" --endpoint "http://127.0.0.1:$port" --requests "$n" --connections "$c" "${floor[@]}" | tee -a "$results"
    floor=()
  done
  stop "$server"
  flags=()
  [ "$server" = emulator ] && flags=(--no-throttling)
  start "$server" "${flags[@]}"
  before="$(rss_kb "$pid")"
  "$load" --label "$server" --endpoint "http://127.0.0.1:$port" --bulk "$items" --connections 8 | tee -a "$results"
  after="$(rss_kb "$pid")"
  echo "RSS $server $(( (after - before) * 1024 / items ))" | tee -a "$results"
  stop "$server"
done

# The table: each server's figures, and the emulator's as a multiple of the best peer.
python3 - "$results" "$items" <<'EOF'
import sys
rows = {}
floor = None
for line in open(sys.argv[1]):
    f = line.split()
    if line.startswith("tcp echo floor:"):
        floor = float(f[3]) if len(f) > 3 and f[3] else None
    elif f and f[0] == "RESULT":
        rows.setdefault(f[1], {})[f"get{f[2]}"] = float(f[3])
        rows[f[1]][f"put{f[2]}"] = float(f[4])
        rows[f[1]][f"query{f[2]}"] = float(f[5])
    elif f and f[0] == "BULK":
        rows.setdefault(f[1], {})["bulk"] = float(f[3])
    elif f and f[0] == "RSS":
        rows.setdefault(f[1], {})["rss"] = float(f[2])
cols = [("get1", "GetItem c=1"), ("get8", "GetItem c=8"), ("query1", "Query-100 c=1"),
        ("query8", "Query-100 c=8"), ("put8", "PutItem c=8"), ("bulk", "BatchWriteItem items/s c=8"),
        ("rss", f"RSS per item ({int(sys.argv[2]):,} items)")]
names = {"emulator": "emulator", "dynalite": "dynalite 4", "local": "DynamoDB Local"}
print("\n| | " + " | ".join(c[1] for c in cols) + " |")
print("|---" * (len(cols) + 1) + "|")
for k in ("emulator", "dynalite", "local"):
    r = rows.get(k, {})
    cell = lambda c: (f"{r[c]:,.0f} B" if c == "rss" else f"{r[c]:,.0f}/s") if c in r else "–"
    print(f"| {names[k]} | " + " | ".join(cell(c) for c, _ in cols) + " |")
e = rows.get("emulator", {})
ratio = []
for c, _ in cols:
    peers = [rows[p][c] for p in ("dynalite", "local") if c in rows.get(p, {})]
    if c not in e or not peers:
        ratio.append("–")
    elif c == "rss":
        ratio.append(f"{e[c] / min(peers):.2f}× the leaner peer")
    else:
        ratio.append(f"**{e[c] / max(peers):.1f}×** the best peer")
print("| emulator ÷ best peer | " + " | ".join(ratio) + " |")
if floor and "get1" in e:
    print(f"\nTCP echo floor {floor:,.0f} round trips/s; emulator GetItem at one connection: {100 * e['get1'] / floor:.0f}% of it.")
EOF
