#!/usr/bin/env bash
# The test suite: builds every binary (end-to-end tests start them), starts
# the MongoDB-compatible test server (scripts/mongo-test-server.sh) unless
# MONGODB_TEST_URI already names a server (make test-mongo), runs all tests
# of the workspace against it, stops it whatever happened, and ends with one
# line totalling every test target.
#
# Without Python the MongoDB runs cannot happen here: the suite says why and
# goes on, but fails in CI (CI set), where every test must run.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo=${CARGO:-cargo}

"$cargo" build --workspace --bins

if [ -z "${MONGODB_TEST_URI:-}" ]; then
  trap 'scripts/mongo-test-server.sh stop' EXIT
  started=$(date +%s)
  if uri=$(scripts/mongo-test-server.sh start); then
    export MONGODB_TEST_URI=$uri
    echo "test.sh: the MongoDB suites run against SecantusDB (a MongoDB-compatible test server) at $uri," \
      "ready in $(($(date +%s) - started)) s"
  elif [ -n "${CI:-}" ]; then
    echo "test.sh: the MongoDB test server could not be started (above), and CI needs every test to run" >&2
    exit 1
  else
    echo "test.sh: the MongoDB runs will be skipped: the MongoDB test server could not be started (above)" >&2
  fi
fi

log=$(mktemp)
trap 'rm -f "$log"; scripts/mongo-test-server.sh stop' EXIT
status=0
"$cargo" test --workspace --no-fail-fast "$@" 2>&1 | tee "$log" || status=$?
# A test that needs what this machine lacks passes after printing
# "...: skipped — why"; it is counted as skipped, not passed.
awk '/^test result:/ { passed += $4; failed += $6; ignored += $8 }
     /: skipped — / { skipped += 1 }
     END { printf "tests: %d passed, %d failed, %d skipped\n", passed - skipped, failed, ignored + skipped }' "$log"
exit "$status"
