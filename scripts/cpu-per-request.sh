#!/usr/bin/env bash
# CPU time per request of each process of a running system, under the load
# generator: reads each process's user+system time (/proc/PID/stat) before
# and after a `bench` run and divides by the requests it answered. Throughput
# on these shared cores varies more than most changes move it; CPU per
# request does not, so this is how changes are compared (BENCHMARKS.md).
#
# Usage: scripts/cpu-per-request.sh BIN_DIR GATEWAY_PORT [bench options...]
#   BIN_DIR       where the four binaries and bench are (target/release)
#   GATEWAY_PORT  the gateway's port
# The system must be running (make start, or the binaries by hand), each
# process started from BIN_DIR, one system per BIN_DIR (an A/B comparison runs
# two builds from two folders). Do not pass --warmup: every request is counted.
# Prints one line per process, then bench's JSON line.
set -euo pipefail
bin_dir=$1
port=$2
shift 2

pid_of() {
  # The one process running BIN_DIR's binary of this name.
  local name=$1 found=() exe
  exe=$(readlink -f "$bin_dir/$name")
  for proc in /proc/[0-9]*; do
    [ "$(readlink -f "$proc/exe" 2>/dev/null)" = "$exe" ] && found+=("${proc#/proc/}")
  done
  [ ${#found[@]} -eq 1 ] || { echo "expected one $name of $bin_dir running, found ${#found[@]}" >&2; exit 1; }
  echo "${found[0]}"
}

# utime + stime, in clock ticks (fields 14 and 15 after the command name).
cpu_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }

names=(concerts-gateway bands venues concerts)
pids=()
for name in "${names[@]}"; do pids+=("$(pid_of "$name")"); done
before=()
for pid in "${pids[@]}"; do before+=("$(cpu_ticks "$pid")"); done
report=$("$bin_dir/bench" --url "http://127.0.0.1:$port" --warmup 0s "$@" | tail -n 1)
# The run's total is the report's first field; each kind in by_kind has its own.
requests=$(printf '%s' "$report" | sed -n 's/^{"requests":\([0-9]*\).*/\1/p')
ticks_per_second=$(getconf CLK_TCK)
for i in 0 1 2 3; do
  after=$(cpu_ticks "${pids[$i]}")
  awk -v name="${names[$i]}" -v t=$((after - before[i])) -v hz="$ticks_per_second" -v n="$requests" \
    'BEGIN { printf "%-17s %8.1f µs of CPU per request\n", name, t / hz / n * 1e6 }'
done
echo "$report"
