#!/usr/bin/env bash
# The soak run of BENCHMARKS.md: the whole system under its supervisor, at
# 80 % of the capacity just measured for the standard mix with writes of
# concerts (add, change, delete) as 5 % of the requests (an open loop, so that
# an outage shows as failures and latency, not as fewer requests), and one
# process killed (kill -9) every minute: concerts, the gateway, bands, venues
# in turn. Resident memory of every process is sampled every 10 s. Afterwards,
# scripts/bench/acknowledged.py checks that no acknowledged write was lost and
# that the change feed has no gap.
#
# Usage: scripts/soak.sh [MINUTES]   (default 10; the release build, make build;
#        BIN_DIR=... for another build)
# Writes var/soak/: bench.json (with the timeline), writes.jsonl, rss.csv,
# supervisor.log, and prints the summary that BENCHMARKS.md quotes; exits 1
# when a write was lost or the feed has a gap.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-10}
bin=${BIN_DIR:-target/release}
out=var/soak
port=${SOAK_PORT:-4900}
rm -rf "$out" && mkdir -p "$out/data"

export GATEWAY_HTTP_PORT=$port BANDS_HTTP_PORT=$((port + 1)) VENUES_HTTP_PORT=$((port + 2)) CONCERTS_HTTP_PORT=$((port + 3))
export DATA_DIR=$out/data DEMO_DATA_DIR=data/wemaintain RUST_LOG=warn,supervisor=info NO_COLOR=1 RATE_LIMITS=off
token=soak-editor-token-0123456789
export WRITE_TOKENS="soak=$token"
"$bin/supervisor" > "$out/supervisor.log" 2>&1 &
supervisor=$!
trap 'kill -TERM $supervisor 2>/dev/null; wait $supervisor 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
  grep -q "The concert discovery API is running" "$out/supervisor.log" && break
  kill -0 $supervisor 2>/dev/null || { cat "$out/supervisor.log"; exit 1; }
  sleep 0.1
done
grep -q "The concert discovery API is running" "$out/supervisor.log" || { echo "the system did not start in 60 s" >&2; exit 1; }
url=http://127.0.0.1:$port

# (By full path: names beyond 15 characters are cut in /proc/PID/comm.)
child() { pgrep -P "$supervisor" -f "/$1\$"; }
# The capacity of the soak's own mix: a write costs the concerts service
# several reads' CPU, so a capacity of reads alone overloads it (measured:
# reads at 80 % of it plus 5 % writes queued answers for tens of seconds).
capacity=$("$bin/bench" --url "$url" --connections 32 --duration 15s --warmup 3s --write-share 5 --token "$token" |
  tail -n 1 | python3 -c 'import json,sys; print(int(json.load(sys.stdin)["requests_per_s"]))')
rate=$((capacity * 8 / 10))
echo "soak: capacity $capacity req/s (32 connections, closed loop, 5 % writes);" \
  "soaking at $rate req/s, 5 % of them writes, for $minutes min"

"$bin/bench" --url "$url" --rate "$rate" --connections 128 --warmup 0s --duration "${minutes}m" \
  --timeline 1s --timeout 10s --write-share 5 --token "$token" --write-log "$out/writes.jsonl" > "$out/bench.txt" &
bench=$!
started=$(date +%s.%N)

echo "t_s,process,pid,rss_kb" > "$out/rss.csv"
victims=(concerts concerts-gateway bands venues)
kills=0
for step in $(seq 1 $((minutes * 6))); do
  sleep 10
  now=$(python3 -c "print(round($(date +%s.%N) - $started, 1))")
  for name in supervisor concerts-gateway bands venues concerts; do
    pid=$([ "$name" = supervisor ] && echo $supervisor || child "$name" || true)
    [ -n "$pid" ] && echo "$now,$name,$pid,$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status" 2>/dev/null)" >> "$out/rss.csv"
  done
  # A kill each minute, from the first to the last but one.
  if [ $((step % 6)) -eq 0 ] && [ "$step" -lt $((minutes * 6)) ]; then
    name=${victims[$((kills % 4))]}
    pid=$(child "$name" || true)
    kill_at=$(python3 -c "print(round($(date +%s.%N) - $started, 2))")
    [ -n "$pid" ] && kill -KILL "$pid" && echo "soak: t=${kill_at}s killed $name (pid $pid)" | tee -a "$out/kills.txt"
    kills=$((kills + 1))
  fi
done
wait $bench
tail -n 1 "$out/bench.txt" > "$out/bench.json"
grep -E "restarting in|keeps failing" "$out/supervisor.log" || true
# Every process back before the check (the last kill was a minute ago).
for _ in $(seq 1 100); do curl -sf "$url/ready" > /dev/null && break; sleep 0.1; done

python3 - "$out" <<'PY'
import csv, json, sys
out = sys.argv[1]
run = json.load(open(f"{out}/bench.json"))
failed = run["non_2xx"] + run["errors"]
print(f"soak: {run['requests']} requests at {run['rate']} req/s: {failed} failed ({100 * failed / max(run['requests'], 1):.3f} %),"
      f" {run['non_2xx']} non-2xx, {run['errors']} without answer; p50 {run['p50_ms']} ms, p99 {run['p99_ms']} ms, max {run['max_ms']} ms")
kills = [(float(line.split("t=")[1].split("s ")[0]), line.split("killed ")[1].split(" ")[0]) for line in open(f"{out}/kills.txt")]
for outage in run["outages"]:
    print(f"  outage at {outage['from_s']:.1f} s: {outage['failures']} failed requests over {outage['lasted_ms']:.0f} ms")
timeline = run["timeline"]
first_kill = kills[0][0] if kills else len(timeline)
def phase(name, keep):
    chosen = [i for i in timeline if keep(i["at_s"]) and i["requests"]]
    if chosen:
        p50 = sorted(i["p50_ms"] for i in chosen)[len(chosen) // 2]
        p99 = sorted(i["p99_ms"] for i in chosen)
        print(f"  {name:<28} {len(chosen):>4} s: median p50 {p50:.2f} ms, median p99 {p99[len(p99) // 2]:.2f} ms, worst p99 {p99[-1]:.2f} ms")
near = lambda t: any(k <= t < k + 5 for k, _ in kills)
phase("before the first kill", lambda t: t < first_kill)
phase("5 s after each kill", near)
phase("the rest, after the first kill", lambda t: t >= first_kill and not near(t))
rows = list(csv.DictReader(open(f"{out}/rss.csv")))
for name in ["supervisor", "concerts-gateway", "bands", "venues", "concerts"]:
    mine = [(float(r["t_s"]), int(r["rss_kb"] or 0), r["pid"]) for r in rows if r["process"] == name]
    if mine:
        print(f"  RSS {name:<17} first {mine[0][1] / 1024:6.1f} MiB, max {max(m[1] for m in mine) / 1024:6.1f} MiB,"
              f" last {mine[-1][1] / 1024:6.1f} MiB ({len(set(m[2] for m in mine))} pids)")
# RSS over time: each process at the end of each minute, in MiB.
names = ["supervisor", "concerts-gateway", "bands", "venues", "concerts"]
print("  RSS (MiB) at minute " + " ".join(f"{name:>16}" for name in names))
for minute in range(1, int(max(float(r["t_s"]) for r in rows) // 60) + 1):
    at = {r["process"]: int(r["rss_kb"] or 0) for r in rows if minute * 60 - 10 < float(r["t_s"]) <= minute * 60}
    print(f"  {minute:>20} " + " ".join(f"{at.get(name, 0) / 1024:>16.1f}" for name in names))
by_kind = run.get("by_kind", {})
if "writes" in by_kind:
    w = by_kind["writes"]
    print(f"  writes: {w['requests']} answered, p50 {w['p50_ms']} ms, p99 {w['p99_ms']} ms")
PY
python3 scripts/bench/acknowledged.py "$url" "$out/writes.jsonl"
