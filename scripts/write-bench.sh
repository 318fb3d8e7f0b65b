#!/usr/bin/env bash
# A benchmark, not a test: writes through the gateway. The system is started
# as make start starts it (the supervisor, release binaries, the demo data)
# on free ports with a data folder of its own; then, in alternating runs,
# bench measures writes alone (one concert at a time: add, change its
# status, delete; 32 connections), the standard read mix alone, and the read
# mix with writes at 10 % of the requests. The medians go into BENCHMARKS.md.
#
# Usage: scripts/write-bench.sh    (RUNS=3 DURATION=20s CONNECTIONS=32 to change)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-3} duration=${DURATION:-20s} connections=${CONNECTIONS:-32}
bin=${BIN_DIR:-target/release}
source scripts/bench/lib.sh
[ -x "$bin/supervisor" ] || cargo build --release --workspace --bins
work=$(mktemp -d)
trap stop_all EXIT
url=$(start_system "$bin" writes)

run() { # name, bench options...: one run, its JSON line kept
  local name=$1; shift
  "$bin/bench" --url "$url" --connections "$connections" --duration "$duration" --warmup 3s "$@" \
    | tail -1 > "$work/$name.json"
}
for round in $(seq 1 "$runs"); do
  run "writes-$round" --write-share 100 --token "$BENCH_WRITE_TOKEN" --seed "$round"
  run "reads-$round" --seed "$round"
  run "mixed-$round" --write-share 10 --token "$BENCH_WRITE_TOKEN" --seed "$((round + 100))"
  echo "write-bench: round $round done" >&2
done
python3 - "$work" "$runs" <<'PY'
import json, statistics, sys
work, runs = sys.argv[1], int(sys.argv[2])
load = lambda name: [json.load(open(f"{work}/{name}-{n}.json")) for n in range(1, runs + 1)]
writes, reads, mixed = load("writes"), load("reads"), load("mixed")
reads_of = lambda run: sum(v["requests"] for k, v in run["by_kind"].items() if k != "writes") / run["seconds"]
writes_of = lambda run: run["by_kind"]["writes"]["requests"] / run["seconds"]
median = statistics.median
print("| what | runs | median | p99 ms (median) | failures |")
print("|---|---|---|---|---|")
print(f"| writes alone, writes/s | {', '.join('%.0f' % r['requests_per_s'] for r in writes)} | **{median(r['requests_per_s'] for r in writes):.0f}** | {median(r['p99_ms'] for r in writes):.1f} | {sum(r['errors'] + r['non_2xx'] for r in writes)} |")
print(f"| reads alone, req/s | {', '.join('%.0f' % r['requests_per_s'] for r in reads)} | **{median(r['requests_per_s'] for r in reads):.0f}** | {median(r['p99_ms'] for r in reads):.1f} | {sum(r['errors'] + r['non_2xx'] for r in reads)} |")
print(f"| reads with writes at 10 %, reads/s | {', '.join('%.0f' % reads_of(r) for r in mixed)} | **{median(reads_of(r) for r in mixed):.0f}** | {median(r['by_kind']['bands']['p99_ms'] for r in mixed):.1f} (bands) | {sum(r['errors'] + r['non_2xx'] for r in mixed)} |")
print(f"| the writes of those runs, writes/s | {', '.join('%.0f' % writes_of(r) for r in mixed)} | {median(writes_of(r) for r in mixed):.0f} | {median(r['by_kind']['writes']['p99_ms'] for r in mixed):.1f} | |")
print(f"\nreads with writes at 10 % keep {median(reads_of(r) for r in mixed) / median(r['requests_per_s'] for r in reads):.2f} of their throughput")
PY
