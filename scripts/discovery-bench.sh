#!/usr/bin/env bash
# The discovery figures of BENCHMARKS.md at scale: first and deep pages in
# each order (newest, soonest, nearest first), counts (a band, a city, the
# whole planet), and a calendar of 1,000 events, each timed with wrk on one
# connection (its p50 and p99), the answer cache off so that every answer is
# made.
#
# Usage: scripts/discovery-bench.sh [CONCERTS]   (default 20000000)
# Needs the stores of scripts/scale-run.sh CONCERTS (var/scale-CONCERTS/data)
# and the release build (BIN_DIR=... for another); DURATION=5s per request by default.
set -euo pipefail
cd "$(dirname "$0")/.."
concerts=${1:-20000000}
out=var/scale-$concerts
bin=${BIN_DIR:-target/release}
duration=${DURATION:-5s}
[ -f "$out/data/concerts.sqlite3" ] || { echo "no stores in $out/data: run scripts/scale-run.sh $concerts first" >&2; exit 2; }
source scripts/bench/lib.sh
install_tools
work=$(mktemp -d)
trap stop_all EXIT

port=$(free_port)
export GATEWAY_HTTP_PORT=$port BANDS_HTTP_PORT=$(free_port) VENUES_HTTP_PORT=$(free_port) CONCERTS_HTTP_PORT=$(free_port)
export DATA_DIR=$out/data DEMO_DATA_DIR= RUST_LOG=warn NO_COLOR=1 IMPORT_TOKEN=discovery-bench ANSWER_CACHE_BYTES=0 RATE_LIMITS=off
"$bin/supervisor" > "$work/supervisor.log" 2>&1 &
echo $! > "$work/supervisor.pid"
for _ in $(seq 1 600); do grep -q "The concert discovery API is running" "$work/supervisor.log" && break; sleep 0.2; done
grep -q "The concert discovery API is running" "$work/supervisor.log" || { cat "$work/supervisor.log" >&2; exit 1; }
url=http://127.0.0.1:$port
# The venue heads load in the background after a start: let them.
sleep 15

# Deep cursors: the millionth concert of the whole planet in each order, found in the stores.
cursors=$(python3 - "$out/data" <<'PY'
import base64, math, sqlite3, sys
data = sys.argv[1]
concerts = sqlite3.connect(f"file:{data}/concerts.sqlite3?mode=ro", uri=True)
venues = sqlite3.connect(f"file:{data}/venues.sqlite3?mode=ro", uri=True)
cursor = lambda text: base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
deep = 999_999
newest = concerts.execute("SELECT date, band_id, venue_id FROM concerts ORDER BY date DESC, band_id DESC, venue_id DESC LIMIT 1 OFFSET ?", (deep,)).fetchone()
soonest = concerts.execute("SELECT date, band_id, venue_id FROM concerts ORDER BY date, band_id, venue_id LIMIT 1 OFFSET ?", (deep,)).fetchone()
# Nearest first from (0, 0): the venues by distance (the contract's sphere), then each one's concerts soonest first.
def km(lat, lon):
    la, lo = math.radians(lat), math.radians(lon)
    h = math.sin(la / 2) ** 2 + math.cos(la) * math.sin(lo / 2) ** 2
    return 2 * 6378.1 * math.asin(math.sqrt(h))
held = dict(concerts.execute("SELECT venue_id, concerts FROM venue_concerts"))
order = sorted((km(lat, lon), id) for id, lat, lon in venues.execute("SELECT id, latitude, longitude FROM venues"))
seen = 0
for distance, venue in order:
    if seen + held.get(venue, 0) > deep:
        date, band = concerts.execute("SELECT date, band_id FROM concerts WHERE venue_id = ? ORDER BY date, band_id LIMIT 1 OFFSET ?", (venue, deep - seen)).fetchone()
        break
    seen += held.get(venue, 0)
# The gateway's distance is the same haversine; its last bits may differ, so the cursor carries the service's own.
print(cursor("v1:%d:%d:%d" % newest), cursor("v2:date:%d:%d:%d" % soonest), venue, date, band)
PY
)
read -r newest_cursor soonest_cursor deep_venue deep_date deep_band <<< "$cursors"
planet="latitude=0&longitude=0&radius=20100"
# The service's own distance of the deep venue, from the nearest-first list.
deep_km=$(curl -s "http://127.0.0.1:$VENUES_HTTP_PORT/venues/within/nearest?$planet" | python3 -c "import json, sys; print(next(km for id, km in json.load(sys.stdin) if id == $deep_venue))")
nearest_cursor=$(python3 -c "import base64; print(base64.urlsafe_b64encode(b'v2:distance:$deep_km:$deep_date:$deep_band:$deep_venue').decode().rstrip('='))")

paris="latitude=48.857931&longitude=2.350144&radius=50"
requests=(
  "first page, Paris 50 km, newest first|/concerts?$paris&limit=100"
  "first page, Paris 50 km, soonest first|/concerts?$paris&sort=date&limit=100"
  "first page, Paris 50 km, nearest first|/concerts?$paris&sort=distance&limit=100"
  "first page, Paris 50 km from 2019-06-15, soonest first|/concerts?$paris&from=2019-06-15&sort=date&limit=100"
  "first page, the planet, newest first|/concerts?$planet&limit=100"
  "first page, the planet, soonest first|/concerts?$planet&sort=date&limit=100"
  "first page, the planet, nearest first|/concerts?$planet&sort=distance&limit=100"
  "first page, band 1, newest first|/concerts?bandIds=1&limit=100"
  "first page, band 1, soonest first|/concerts?bandIds=1&sort=date&limit=100"
  "first page, bands 1-10 within 1000 km of Paris, newest first|/concerts?bandIds=1,2,3,4,5,6,7,8,9,10&latitude=48.857931&longitude=2.350144&radius=1000&limit=100"
  "first page, bands 1-10 within 1000 km of Paris, nearest first|/concerts?bandIds=1,2,3,4,5,6,7,8,9,10&latitude=48.857931&longitude=2.350144&radius=1000&sort=distance&limit=100"
  "a million deep, the planet, newest first|/concerts?$planet&limit=100&cursor=$newest_cursor"
  "a million deep, the planet, soonest first|/concerts?$planet&sort=date&limit=100&cursor=$soonest_cursor"
  "a million deep, the planet, nearest first|/concerts?$planet&sort=distance&limit=100&cursor=$nearest_cursor"
  "counts, band 1, by month|/concerts/counts?bandIds=1&by=month"
  "counts, bands 1-100, by year|/concerts/counts?bandIds=$(seq -s, 1 100)&by=year"
  "counts, Paris 50 km, by month|/concerts/counts?$paris&by=month"
  "counts, Paris 50 km, 2019-03-15 to 2019-09-20, by month|/concerts/counts?$paris&from=2019-03-15&to=2019-09-20&by=month"
  "counts, the planet|/concerts/counts?$planet"
  "counts, the planet, by year|/concerts/counts?$planet&by=year"
  "counts, the planet from 2019-06-15, by month|/concerts/counts?$planet&from=2019-06-15&by=month"
  "counts, the planet, by venue|/concerts/counts?$planet&by=venue"
  "calendar, 1,000 events (the planet)|/concerts.ics?$planet&sort=date"
)
echo "discovery-bench: $concerts concerts, answer cache off, wrk -t1 -c1 -d$duration --latency per request"
echo
echo "| request | answer bytes | req/s | p50 ms | p99 ms |"
echo "|---|---|---|---|---|"
to_ms() { awk '{ v = $1; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } printf "%.2f", v }'; }
for request in "${requests[@]}"; do
  name=${request%%|*} path=${request#*|}
  read -r status bytes < <(curl -s -o /dev/null -w '%{http_code} %{size_download}\n' "$url$path")
  [ "$status" = 200 ] || { echo "| $name | HTTP $status | | | |"; continue; }
  wrk -t1 -c1 -d"$duration" --latency "$url$path" > "$work/wrk.out"
  rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$work/wrk.out")
  p50=$(awk '$1 == "50%" { print $2 }' "$work/wrk.out" | to_ms)
  p99=$(awk '$1 == "99%" { print $2 }' "$work/wrk.out" | to_ms)
  echo "| $name | $bytes | $rps | $p50 | $p99 |"
done
