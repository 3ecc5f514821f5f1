#!/usr/bin/env bash
# Runs tests/python/boto3_smoke.py and aws_cli_smoke.py (the AWS CLI) against the emulator binary by hand (cargo test runs the same
# script from emulator/tests/integration/boto3_sdk.rs): boto3 installed in a venv cached under target/py
# (idempotent), the emulator started on a free port and stopped afterwards.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/target/py"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import boto3, awscli' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q boto3==1.44.8 awscli==1.46.3
fi
cargo build -q -p dynamodb-emulator --bin dynamodb-emulator
log="$(mktemp)"
"$root/target/debug/dynamodb-emulator" --port 0 --consistency realistic >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$log"' EXIT
url=""
for _ in $(seq 1 100); do
  url=$(grep -o 'http://[0-9.:]*' "$log" || true)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { echo "the emulator did not start:"; cat "$log"; exit 1; }
"$venv/bin/python" "$root/tests/python/boto3_smoke.py" "$url"
"$venv/bin/python" "$root/tests/python/aws_cli_smoke.py" "$venv/bin/aws" "$url"
