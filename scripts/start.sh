#!/usr/bin/env bash
# Runs the whole system in the foreground: the three services, then the
# gateway; imports the demo data when the stores are empty; prints the URLs.
# Ctrl-C or SIGTERM stops all four processes, and so does any one of them dying.
#
# Usage: scripts/start.sh [BIN_DIR]   (default target/release)
set -euo pipefail
cd "$(dirname "$0")/.."
bin_dir=${1:-target/release}

# .env fills in only what the environment does not already say.
if [ -f .env ]; then
  while IFS= read -r line || [ -n "$line" ]; do
    [[ "$line" =~ ^[[:space:]]*([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || continue
    key=${BASH_REMATCH[1]}
    [ -n "${!key+set}" ] || export "$key=${BASH_REMATCH[2]}"
  done < .env
fi
gateway_port=${GATEWAY_HTTP_PORT:-3000}
bands_port=${BANDS_HTTP_PORT:-3001}
venues_port=${VENUES_HTTP_PORT:-3002}
concerts_port=${CONCERTS_HTTP_PORT:-3003}
host=${BIND_ADDRESS:-127.0.0.1}
[ "$host" = "0.0.0.0" ] && host=127.0.0.1

pids=()
stop() {
  trap - INT TERM EXIT
  if [ ${#pids[@]} -gt 0 ]; then
    echo "stopping ${#pids[@]} processes..."
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap stop EXIT

for app in bands venues concerts concerts-gateway; do
  [ -x "$bin_dir/$app" ] || { echo "missing $bin_dir/$app: run 'make' first" >&2; exit 1; }
  "$bin_dir/$app" &
  pids+=($!)
done

# Wait (bounded) until every process answers its health check.
wait_healthy() {
  local url=$1
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/$host/${url##*:}") 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "$url did not come up within 10 s" >&2
  return 1
}
for port in "$bands_port" "$venues_port" "$concerts_port" "$gateway_port"; do
  wait_healthy "http://$host:$port"
done

"$bin_dir/seed" --dir "${DEMO_DATA_DIR:-data/wemaintain}" --if-empty

cat <<MSG

The concert discovery API is running:
  API         http://$host:$gateway_port/concerts?bandIds=1,2
  Swagger UI  http://$host:$gateway_port/api
  OpenAPI     http://$host:$gateway_port/api-json
  services    bands :$bands_port, venues :$venues_port, concerts :$concerts_port
Press Ctrl-C to stop.
MSG

# Any process exiting ends the system, so it never runs half up.
wait -n "${pids[@]}" || true
echo "stopping the system" >&2
exit 1
