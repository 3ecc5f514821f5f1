#!/usr/bin/env bash
# The emulator as the moto oracle run starts it (`BINARY --port P`), with DynamoDB's S3 pointed
# at the auxiliary moto server the shared runner starts beside it on port P+1 (moto's ImportTable
# tests put their input objects there with boto3's S3 client, as they would in a real account).
#
#   EMULATOR_BIN=target/release/dynamodb-emulator scripts/moto-emulator.sh --port 8000
set -u
bin="${EMULATOR_BIN:-$(cd "$(dirname "$0")/.." && pwd)/target/release/dynamodb-emulator}"
port=""
prev=""
for a in "$@"; do
  [ "$prev" = "--port" ] && port=$a
  prev=$a
done
if [ -n "$port" ]; then
  exec "$bin" "$@" --s3 "http://127.0.0.1:$((port + 1))"
fi
exec "$bin" "$@"
