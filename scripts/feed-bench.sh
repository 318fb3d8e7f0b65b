#!/usr/bin/env bash
# A benchmark, not a test: the change feed under the write benchmark. The
# system is started as make start starts it (supervisor, release binaries,
# demo data) on free ports with a data folder of its own. While bench sends
# writes (one concert at a time, 32 connections, DURATION), a follower reads
# GET /changes with wait=20 from the end of the feed and measures each
# change's lag: from its commit (its `at`) to the moment the follower holds
# it. Then a consumer reads the whole feed from the start, 1,000 a page:
# changes/s while catching up. The figures go into BENCHMARKS.md.
#
# Usage: scripts/feed-bench.sh    (DURATION=20s CONNECTIONS=32 to change)
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${DURATION:-20s} connections=${CONNECTIONS:-32}
bin=${BIN_DIR:-target/release}
source scripts/bench/lib.sh
[ -x "$bin/supervisor" ] || cargo build --release --workspace --bins
work=$(mktemp -d)
trap stop_all EXIT
url=$(start_system "$bin" feed)

python3 - "$url" "$work/lag.json" <<'PY' &
import json, sys, time, urllib.request
from datetime import datetime
url, out = sys.argv[1], sys.argv[2]
def page(path):
    with urllib.request.urlopen(url + path, timeout=60) as answer:
        link = answer.headers["link"]
        return json.load(answer), link[1:link.index(">")]
changes, next_page = page("/changes?limit=1000")
while changes:
    changes, next_page = page(next_page)
lags, quiet = [], 0
while quiet < 2:
    # wait=3: two empty pages in a row, and the writes are over.
    changes, next_page = page(next_page if "wait=" in next_page else next_page + "&wait=3")
    held = time.time() * 1000
    quiet = quiet + 1 if not changes else 0
    lags.extend(held - datetime.fromisoformat(change["at"]).timestamp() * 1000 for change in changes)
json.dump(lags, open(out, "w"))
PY
follower=$!
sleep 1
"$bin/bench" --url "$url" --connections "$connections" --duration "$duration" --write-share 100 \
  --token "$BENCH_WRITE_TOKEN" | tail -1 > "$work/writes.json"
wait "$follower"

python3 - "$url" "$work/lag.json" "$work/writes.json" <<'PY'
import json, statistics, sys, time, urllib.request
url, lag_file, writes_file = sys.argv[1:]
lags = sorted(json.load(open(lag_file)))
writes = json.load(open(writes_file))
def page(path):
    with urllib.request.urlopen(url + path, timeout=60) as answer:
        link = answer.headers["link"]
        return json.load(answer), link[1:link.index(">")]
started, read, next_page = time.time(), 0, "/changes?limit=1000"
while True:
    changes, next_page = page(next_page)
    if not changes:
        break
    read += len(changes)
seconds = time.time() - started
q = lambda p: lags[min(len(lags) - 1, int(p * len(lags)))]
print(f"writes: {writes['requests_per_s']:.0f}/s, p99 {writes['p99_ms']:.1f} ms, failures {writes['errors'] + writes['non_2xx']}")
print(f"feed lag, commit to a follower holding it ({len(lags)} changes): p50 {q(0.5):.1f} ms, p99 {q(0.99):.1f} ms, max {lags[-1]:.1f} ms")
print(f"a consumer catching up: {read} changes in {seconds:.2f} s, {read / seconds:.0f} changes/s (pages of 1,000)")
PY
