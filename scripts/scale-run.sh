#!/usr/bin/env bash
# The step-2 run of BENCHMARKS.md at any size: generates the set (once),
# starts the system on empty stores under its supervisor, imports the set with
# the seed tool (a bulk load for the concerts), and measures what the issue
# asks: records/s over the import, resident memory of every process, disk per
# store, the time a restarted service takes to be ready, and the queries (the
# standard mix with limit=100, name searches, first and deep pages, the
# throughput of an unpaged answer).
#
# Usage: scripts/scale-run.sh [CONCERTS]   (default 200000000; 2M bands, 10k venues)
#        BIN_DIR=... to run another build's binaries (default target/release),
#        SCALE_OUT=... to write elsewhere (default var/scale-CONCERTS)
# Needs the release build (make build). Writes var/scale-CONCERTS/: set/ (the
# JSON, about 55 B a concert), data/ (the stores), *.log, rss.csv; delete it
# afterwards. Check `df -h .` first: 200M takes about 60 GB at the peak.
set -euo pipefail
cd "$(dirname "$0")/.."
concerts=${1:-200000000}
bin=${BIN_DIR:-target/release}
out=${SCALE_OUT:-var/scale-$concerts}
port=${SCALE_PORT:-4600}
mkdir -p "$out"
say() { echo "scale-run: $*" | tee -a "$out/summary.txt"; }
now() { date +%s.%N; }
since() { python3 -c "print(f'{$(now) - $1:.1f}')"; }

if [ ! -f "$out/set/concerts.json" ]; then
  started=$(now)
  "$bin/generate" --out "$out/set" --bands 2000000 --venues 10000 --concerts "$concerts" --seed 42
  say "generated 2M bands, 10k venues, $concerts concerts in $(since "$started") s ($(du -sh "$out/set" | cut -f1))"
fi

# SCALE_RESUME=1: the stores of a run that was cut off are kept, and its bulk
# load is committed (what an interrupted import's re-run does) instead of
# importing again.
[ -n "${SCALE_RESUME:-}" ] || rm -rf "$out/data"
export GATEWAY_HTTP_PORT=$port BANDS_HTTP_PORT=$((port + 1)) VENUES_HTTP_PORT=$((port + 2)) CONCERTS_HTTP_PORT=$((port + 3))
export DATA_DIR=$out/data DEMO_DATA_DIR= RUST_LOG=warn,supervisor=info,concerts=info NO_COLOR=1 IMPORT_TOKEN=scale-run-token RATE_LIMITS=off
"$bin/supervisor" > "$out/supervisor.log" 2>&1 &
supervisor=$!
trap 'kill -TERM $supervisor 2>/dev/null; wait $supervisor 2>/dev/null || true; kill $sampler 2>/dev/null || true' EXIT
until grep -q "The concert discovery API is running" "$out/supervisor.log"; do
  kill -0 $supervisor 2>/dev/null || { cat "$out/supervisor.log"; exit 1; }
  sleep 0.2
done
url=http://127.0.0.1:$port
child() { pgrep -P "$supervisor" -f "/$1\$" || true; }

# Resident memory every 10 s, the seed tool's included.
echo "t_s,process,rss_kb" > "$out/rss.csv"
t0=$(now)
(
  while sleep 10; do
    t=$(since "$t0")
    for name in concerts-gateway bands venues concerts seed; do
      for pid in $( [ "$name" = seed ] && pgrep -x seed || child "$name"); do
        echo "$t,$name,$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status" 2>/dev/null)" >> "$out/rss.csv"
      done
    done
  done
) &
sampler=$!

started=$(now)
if [ -n "${SCALE_RESUME:-}" ]; then
  curl -sf -X POST -H "Authorization: Bearer $IMPORT_TOKEN" "http://127.0.0.1:$CONCERTS_HTTP_PORT/concerts/staged/commit" | tee -a "$out/seed.log"
  say "resumed: the staged concerts committed in $(since "$started") s"
else
  "$bin/seed" --dir "$out/set" 2>&1 | tee "$out/seed.log"
  import_s=$(since "$started")
  records=$((2000000 + 10000 + concerts))
  say "imported $records records in $import_s s ($(python3 -c "print(round($records / $import_s))") records/s)"
fi
for store in bands venues concerts; do
  say "disk: $store $(du -sh "$out/data/$store.sqlite3" | cut -f1) (+ WAL $(du -sh "$out/data/$store.sqlite3-wal" 2>/dev/null | cut -f1))"
done
python3 - "$out/rss.csv" <<'PY' | tee -a "$out/summary.txt"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
for name in ["seed", "concerts-gateway", "bands", "venues", "concerts"]:
    rss = [int(r["rss_kb"] or 0) for r in rows if r["process"] == name]
    if rss:
        print(f"scale-run: RSS during the import, {name}: max {max(rss) / 1024:.0f} MiB")
PY

# A restart: how long until the concerts service is ready again.
pid=$(child concerts)
started=$(now)
kill -KILL "$pid"
sleep 0.05
until curl -sf "http://127.0.0.1:$CONCERTS_HTTP_PORT/ready" >/dev/null; do sleep 0.05; done
say "concerts ready $(since "$started") s after kill -9 (supervisor pause included); $(grep -c 'venue heads loaded' "$out/supervisor.log") head loads logged"
sleep 20

median_of() { python3 -c "import sys, statistics; print(f'{statistics.median(float(x) for x in sys.argv[1:]) * 1000:.2f}')" "$@"; }
timed() { # path, times: the median time of an answer in ms
  local times=()
  for _ in $(seq 1 "$2"); do times+=("$(curl -s -o /dev/null -w '%{time_total}' "$url$1")"); done
  median_of "${times[@]}"
}
say "first page, the most prolific band (1), limit 100: $(timed '/concerts?bandIds=1&limit=100' 21) ms (median of 21)"
say "first page, the whole planet (radius 20100 km, every concert), limit 100: $(timed '/concerts?latitude=0&longitude=0&radius=20100&limit=100' 21) ms"
say "first page, Paris 50 km, limit 100: $(timed '/concerts?latitude=48.857931&longitude=2.350144&radius=50&limit=100' 21) ms"
cursor=$(python3 - "$out/data/concerts.sqlite3" <<'PY'
import base64, sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
date, band, venue = db.execute("SELECT date, band_id, venue_id FROM concerts ORDER BY date DESC, band_id DESC, venue_id DESC LIMIT 1 OFFSET 999999").fetchone()
print(base64.urlsafe_b64encode(f"v1:{date}:{band}:{venue}".encode()).decode().rstrip("="))
PY
)
say "a page a million concerts deep (the whole planet), limit 100: $(timed "/concerts?latitude=0&longitude=0&radius=20100&limit=100&cursor=$cursor" 21) ms"
read -r bytes seconds < <(curl -s -o /dev/null -w '%{size_download} %{time_total}\n' "$url/concerts?bandIds=1")
say "unpaged answer of band 1: $bytes bytes in $seconds s ($(python3 -c "print(f'{$bytes / $seconds / 1e6:.1f}')") MB/s)"

# The standard mix plain, then as browsers ask (their answers compressed).
for coding in plain gzip-br; do
  encoding=(); [ "$coding" = plain ] || encoding=(--accept-encoding "gzip, br")
  for run in 1 2 3; do
    "$bin/bench" --url "$url" --data "$out/set" --limit 100 --connections 32 --duration 30s --warmup 5s "${encoding[@]}" > "$out/bench-standard-$coding-$run.txt"
    head -4 "$out/bench-standard-$coding-$run.txt"
  done
  python3 - "$out" "$coding" <<'PY' | tee -a "$out/summary.txt"
import json, statistics, sys
out, coding = sys.argv[1:]
runs = [json.loads(open(f"{out}/bench-standard-{coding}-{n}.txt").read().strip().splitlines()[-1]) for n in (1, 2, 3)]
rate = statistics.median(r["requests_per_s"] for r in runs)
p99 = statistics.median(r["p99_ms"] for r in runs)
each = ", ".join("%.0f" % r["requests_per_s"] for r in runs)
errors = sum(r["errors"] + r["non_2xx"] for r in runs)
print(f"scale-run: standard mix ({coding}), limit 100, 32 connections, median of 3 x 30 s: {rate:.0f} req/s, p99 {p99:.1f} ms,"
      f" errors {errors} (runs: {each})")
PY
done
"$bin/bench" --url "$url" --data "$out/set" --mix names --connections 32 --duration 30s --warmup 5s > "$out/bench-names.txt"
head -4 "$out/bench-names.txt"
say "names: $(sed -n 3p "$out/bench-names.txt" | sed 's/^ *//')"
for name in concerts-gateway bands venues concerts; do
  say "RSS after the benchmarks, $name: $(awk '/^VmRSS/ { printf "%.0f MiB", $2 / 1024 }' "/proc/$(child "$name")/status")"
done
