#!/usr/bin/env bash
# A benchmark, not a test: two builds of the system side by side on the
# standard mix, each started as make start starts it (the supervisor, the
# demo data), wrk sending both the same requests in alternating runs
# (A B A B ...), as the throughput regressions were found.
#
# Usage: scripts/ab.sh BIN_DIR_A BIN_DIR_B    (e.g. an older revision's target/release;
#        the mix comes from this tree's bench, target/release/bench)
#        RUNS=3 DURATION=10s CONNECTIONS=32 REQUESTS=2000 ACCEPT_ENCODING="gzip, br" to change
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 2 ] || { echo "usage: scripts/ab.sh BIN_DIR_A BIN_DIR_B" >&2; exit 2; }
a=$(cd "$1" && pwd) b=$(cd "$2" && pwd)
runs=${RUNS:-3} duration=${DURATION:-10s} connections=${CONNECTIONS:-32} requests=${REQUESTS:-2000}
encoding=${ACCEPT_ENCODING:-}
source scripts/bench/lib.sh
install_tools

work=$(mktemp -d)
trap stop_all EXIT

url_a=$(start_system "$a" a)
url_b=$(start_system "$b" b)
${BENCH:-target/release/bench} --list "$requests" > "$work/paths"
echo "ab: $requests requests of the standard mix, wrk -t2 -c$connections -d$duration${encoding:+, Accept-Encoding: $encoding}, $runs alternating runs" >&2
measure "$url_a" "$work/paths" "$encoding" > /dev/null
measure "$url_b" "$work/paths" "$encoding" > /dev/null
results_a="" results_b=""
echo "| run | A ($1) req/s | p99 ms | B ($2) req/s | p99 ms | A / B |"
echo "|---|---|---|---|---|---|"
for run in $(seq 1 "$runs"); do
  got_a=$(measure "$url_a" "$work/paths" "$encoding")
  got_b=$(measure "$url_b" "$work/paths" "$encoding")
  results_a+="$got_a;" results_b+="$got_b;"
  read -r rps_a p99_a <<< "$got_a"
  read -r rps_b p99_b <<< "$got_b"
  awk -v r="$run" -v a="$rps_a" -v pa="$p99_a" -v b="$rps_b" -v pb="$p99_b" \
    'BEGIN { printf "| %s | %.0f | %.1f | %.0f | %.1f | %.2f |\n", r, a, pa, b, pb, a / b }'
done
median_a=$(echo "$results_a" | median 1) median_b=$(echo "$results_b" | median 1)
awk -v a="$median_a" -v b="$median_b" -v pa="$(echo "$results_a" | median 2)" -v pb="$(echo "$results_b" | median 2)" \
  'BEGIN { printf "| median | %.0f | %.1f | %.0f | %.1f | %.2f |\n", a, pa, b, pb, a / b }'
