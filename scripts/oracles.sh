#!/usr/bin/env bash
# Runs the two third-party suites whose expectations come from real DynamoDB (dynalite's mocha
# suite, moto's aws_verified tests) against the release binary, through the shared runner at
# ../shared/oracles/run.sh, and fails if either scores below its floor. Where that folder is
# absent it says so and exits 0. Floors and today's figures: docs/conformance.md.
#
#   scripts/oracles.sh            # both suites, checked against the floors
#   FLOOR_DYNALITE=0 scripts/oracles.sh   # report only
#
# dynalite runs with `--consistency strong --no-throttling`, as its README asks: its tables are
# 10 RCU / 5 WCU, its slow tests write ~400 KB items into them, and it reads its own writes at
# once (the shared runner takes no mocha flags, so those slow tests run too; to run the suite
# as it runs against AWS, without them, see scripts/dynalite-as-on-aws.js). moto runs at the
# emulator's defaults. The dependencies (npm, PyPI) are installed once under target/oracle-cache. A run
# below its floor is repeated once (a server that fails to start fails one file whole), and
# the better run counts.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
runner="$root/../shared/oracles/run.sh"
floor_dynalite="${FLOOR_DYNALITE:-970}"
floor_moto="${FLOOR_MOTO:-125}"

if [ ! -x "$runner" ] && [ ! -f "$runner" ]; then
  echo "oracles: skipped ($runner is not there)"
  exit 0
fi
cd "$root"
cargo build --release -q -p dynamodb-emulator || exit 1
bin="$root/target/release/dynamodb-emulator"
export ORACLE_CACHE="${ORACLE_CACHE:-$root/target/oracle-cache}"

run() { # run SUITE FLOOR [flags...]: prints the suite's summary, returns 1 below the floor
  local suite=$1 floor=$2 best=-1 attempt passed line
  shift 2
  for attempt in 1 2; do
    line=$(ORACLE_OUT="$root/target/oracles/$suite" bash "$runner" "$suite" "$bin" "$@" 2>&1 | tail -1)
    passed=$(sed -n 's/^[a-z]*: \([0-9]*\) passed.*/\1/p' <<<"$line")
    echo "oracles: $line (run $attempt)"
    [ -n "$passed" ] && [ "$passed" -gt "$best" ] && best=$passed
    [ "$best" -ge "$floor" ] && break
  done
  if [ "$best" -lt "$floor" ]; then
    echo "oracles: $suite scored $best, below its floor of $floor"
    return 1
  fi
  echo "oracles: $suite $best passed (floor $floor)"
}

status=0
run dynalite "$floor_dynalite" --consistency strong --no-throttling || status=1
run moto "$floor_moto" || status=1
exit $status
