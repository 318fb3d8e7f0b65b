# Shared by the benchmark scripts (compare-nginx.sh, ab.sh): source it.
# Starts systems as make start does, measures with wrk, takes medians.
# Needs: $work, a temporary folder: each process started writes its pid to
# $work/NAME.pid, for the caller to stop them all.

# Stops every process started (their pid files in $work), and removes $work.
stop_all() {
  for pid in $(cat "$work"/*.pid 2>/dev/null); do kill -INT "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  sleep 1
  rm -rf "$work"
}

# The editor's token of the systems started here (the write benchmarks send it).
BENCH_WRITE_TOKEN=bench-editor-token-0123456789

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# start_system BIN_DIR NAME: the supervisor of BIN_DIR (the demo data, free
# ports, a data folder of its own, rate limits off unless RATE_LIMITS says:
# a load generator is one client); prints the gateway's URL.
start_system() {
  local bin=$1 name=$2 gateway_port
  gateway_port=$(free_port)
  : > "$work/$name.log"
  GATEWAY_HTTP_PORT=$gateway_port BANDS_HTTP_PORT=$(free_port) VENUES_HTTP_PORT=$(free_port) \
    CONCERTS_HTTP_PORT=$(free_port) DATA_DIR="$work/$name-data" IMPORT_TOKEN=bench-token \
    WRITE_TOKENS="bench=$BENCH_WRITE_TOKEN" RATE_LIMITS=${RATE_LIMITS:-off} \
    "${SUPERVISOR:-$bin/supervisor}" --bin-dir "$bin" > "$work/$name.log" 2>&1 &
  echo $! > "$work/$name.pid"
  for _ in $(seq 1 600); do
    grep -q "The concert discovery API is running" "$work/$name.log" && break
    sleep 0.1
  done
  grep -q "The concert discovery API is running" "$work/$name.log" || { cat "$work/$name.log" >&2; return 1; }
  echo "http://127.0.0.1:$gateway_port"
}

# The four processes of system NAME (the supervisor's children), gateway
# first: "pid pid pid pid".
system_pids() {
  local name=$1 pid order=""
  for process in concerts-gatewa bands venues concerts; do
    for pid in $(pgrep -P "$(cat "$work/$name.pid")"); do
      [ "$(cat "/proc/$pid/comm")" = "$process" ] && order+="$pid "
    done
  done
  echo "$order"
}

# CPU ticks (user + system) of each of "pid pid ...".
cpu_ticks() { for pid in $1; do awk '{ sub(/.*\) /, ""); printf "%d ", $12 + $13 }' "/proc/$pid/stat"; done; }

# measure URL PATHS_FILE [ACCEPT_ENCODING] [NAME]: one wrk run, "req/s p99_ms";
# with NAME, then the µs of CPU per request of its gateway, bands, venues, concerts.
measure() {
  local header=() pids="" before="" after=""
  [ -n "${3:-}" ] && header=(-H "Accept-Encoding: $3")
  [ -n "${4:-}" ] && pids=$(system_pids "$4") && before=$(cpu_ticks "$pids")
  PATHS_FILE=$2 wrk -t2 -c"$connections" -d"$duration" --latency "${header[@]}" \
    -s scripts/bench/paths.lua "$1" > "$work/wrk.out"
  [ -n "$pids" ] && after=$(cpu_ticks "$pids")
  if grep -q "Non-2xx\|Socket errors" "$work/wrk.out"; then
    echo "wrk saw errors: $(grep "Non-2xx\|Socket errors" "$work/wrk.out")" >&2
  fi
  awk -v before="$before" -v after="$after" -v hz="$(getconf CLK_TCK)" \
      '/ requests in / { requests = $1 }
       /^Requests\/sec:/ { rps = $2 }
       $1 == "99%" { v = $2
         if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) }
         else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 }
         p99 = v }
       END { printf "%s %s", rps, p99
             n = split(before, b, " "); split(after, a, " ")
             for (i = 1; i <= n; i++) printf " %.0f", (a[i] - b[i]) / hz / requests * 1e6
             printf "\n" }' "$work/wrk.out"
}

# median K: the median of column K of "a b;c d;..." on stdin.
median() { tr ';' '\n' | grep -v '^$' | sort -g -k"$1" | awk -v k="$1" '{ a[NR] = $k } END { print a[int((NR + 1) / 2)] }'; }

# Installs wrk and nginx-light from Debian when they are missing.
install_tools() {
  local missing=()
  command -v wrk >/dev/null 2>&1 || missing+=(wrk)
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo
  sudo=$(command -v sudo >/dev/null 2>&1 && [ "$(id -u)" != 0 ] && echo sudo || true)
  echo "installing ${missing[*]} from Debian" >&2
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}
