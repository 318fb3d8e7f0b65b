#!/usr/bin/env bash
# A benchmark, not a test: the changes on NATS JetStream under the write
# benchmark. Debian's nats-server (-js) is started on a free port with a
# store of its own, and the system as make start starts it (supervisor,
# release binaries, demo data) with NATS_URL pointing at it: each service
# relays its log, the gateway follows the stream. While bench sends writes
# (one concert at a time: add, change, delete; 32 connections, DURATION),
# a consumer (Python, nats-py, an ordered JetStream consumer on catalogue.>
# from new) measures each change's lag: from its commit (its `at`) to the
# moment the consumer holds it. The figures go into BENCHMARKS.md.
#
# Usage: scripts/events-bench.sh    (DURATION=20s CONNECTIONS=32 to change)
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${DURATION:-20s} connections=${CONNECTIONS:-32}
bin=${BIN_DIR:-target/release}
source scripts/bench/lib.sh
[ -x "$bin/supervisor" ] || cargo build --release --workspace --bins
nats_server=$(command -v nats-server || echo /usr/sbin/nats-server)
[ -x "$nats_server" ] || { echo "events-bench: no nats-server (apt-get install nats-server)" >&2; exit 1; }
venv=target/events-bench/venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import nats' 2>/dev/null; then
  python3 -m venv "$venv" && "$venv/bin/pip" install --quiet --disable-pip-version-check nats-py
fi
work=$(mktemp -d)
trap stop_all EXIT

nats_port=$(free_port)
"$nats_server" -js -a 127.0.0.1 -p "$nats_port" -sd "$work/nats" > "$work/nats.log" 2>&1 &
echo $! > "$work/nats.pid"
export NATS_URL=nats://127.0.0.1:$nats_port
url=$(start_system "$bin" events)

"$venv/bin/python" - "$NATS_URL" "$work/lag.json" > "$work/consumer.log" 2>&1 <<'PY' &
import asyncio, json, sys, time
import nats
from nats.js.api import DeliverPolicy

async def main(url, out):
    connection = await nats.connect(url)
    stream = connection.jetstream()
    lags, quiet = [], 0
    subscription = await stream.subscribe("catalogue.>", ordered_consumer=True, deliver_policy=DeliverPolicy.NEW)
    open(out + ".ready", "w").close()
    while quiet < 30:  # three quiet seconds: the writes are over
        try:
            message = await subscription.next_msg(timeout=0.1)
        except nats.errors.TimeoutError:
            quiet = quiet + 1 if lags else 0
            continue
        quiet = 0
        lags.append(time.time() * 1000 - json.loads(message.data)["at"])
    json.dump(lags, open(out, "w"))
    await connection.close()

asyncio.run(main(sys.argv[1], sys.argv[2]))
PY
consumer=$!
for _ in $(seq 1 100); do [ -e "$work/lag.json.ready" ] && break; sleep 0.1; done
"$bin/bench" --url "$url" --connections "$connections" --duration "$duration" --warmup 3s \
  --write-share 100 --token "$BENCH_WRITE_TOKEN" | tail -1 > "$work/writes.json"
wait "$consumer" || { cat "$work/consumer.log" >&2; exit 1; }
python3 - "$work" <<'PY'
import json, statistics, sys
work = sys.argv[1]
writes, lags = json.load(open(f"{work}/writes.json")), sorted(json.load(open(f"{work}/lag.json")))
at = lambda q: lags[min(len(lags) - 1, int(q * len(lags)))]
print(f"writes: {writes['requests_per_s']:.0f}/s, p99 {writes['p99_ms']:.1f} ms, {writes['errors'] + writes['non_2xx']} failures")
print(f"changes on NATS: {len(lags)}; lag from commit to consumer: p50 {at(0.5):.1f} ms, p99 {at(0.99):.1f} ms, max {lags[-1]:.1f} ms")
PY
