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
echo "| run | system | req/s | p99 ms | µs CPU/request: gateway | bands | venues | concerts |"
echo "|---|---|---|---|---|---|---|---|"
row() { read -r rps p99 gateway bands venues concerts <<< "$3"
  awk -v r="$1" -v s="$2" -v rps="$rps" -v p="$p99" -v g="$gateway" -v b="$bands" -v v="$venues" -v c="$concerts" \
    'BEGIN { printf "| %s | %s | %.0f | %.1f | %s | %s | %s | %s |\n", r, s, rps, p, g, b, v, c }'; }
for run in $(seq 1 "$runs"); do
  got_a=$(measure "$url_a" "$work/paths" "$encoding" a)
  got_b=$(measure "$url_b" "$work/paths" "$encoding" b)
  results_a+="$got_a;" results_b+="$got_b;"
  row "$run" "A" "$got_a"
  row "$run" "B" "$got_b"
done
medians() { local all=$1; echo "$(for k in 1 2 3 4 5 6; do echo -n "$(echo "$all" | median $k) "; done)"; }
row median A "$(medians "$results_a")"
row median B "$(medians "$results_b")"
awk -v a="$(echo "$results_a" | median 1)" -v b="$(echo "$results_b" | median 1)" \
  'BEGIN { printf "\nA / B throughput (medians): %.2f\n", a / b }'
echo "A: $1, B: $2" 
