#!/usr/bin/env bash
# The test suite: builds every binary (end-to-end tests start them), runs all
# tests of the workspace, and ends with one line totalling every test target.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo=${CARGO:-cargo}

"$cargo" build --workspace --bins
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
"$cargo" test --workspace "$@" 2>&1 | tee "$log" || status=$?
awk '/^test result:/ { passed += $4; failed += $6; ignored += $8 }
     END { printf "tests: %d passed, %d failed, %d skipped\n", passed, failed, ignored }' "$log"
exit "$status"
