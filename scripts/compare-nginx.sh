#!/usr/bin/env bash
# A benchmark, not a test: the system against the machine's byte-delivery
# limit. nginx (Debian's nginx-light, 2 workers) serves the system's own
# answers to the standard mix, fetched from it and written as files (and
# gzipped beside them, for gzip_static); wrk sends the same requests in the
# same order to both, with and without `Accept-Encoding: gzip, br`, in
# alternating runs. The medians go into BENCHMARKS.md.
#
# The system is started as make start starts it (the supervisor, release
# binaries, the demo data) on free ports with a data folder of its own.
#
# Usage: scripts/compare-nginx.sh    (RUNS=3 DURATION=10s CONNECTIONS=32 REQUESTS=2000 to change)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-3}
duration=${DURATION:-10s}
connections=${CONNECTIONS:-32}
requests=${REQUESTS:-2000}
bin=${BIN_DIR:-target/release}

source scripts/bench/lib.sh
install_tools
nginx=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$bin/supervisor" ] || cargo build --release --workspace --bins

work=$(mktemp -d)
trap stop_all EXIT

gateway=$(start_system "$bin" system)
nginx_port=$(free_port)

# The standard mix, and the system's own answers to it as nginx's files.
"$bin/bench" --list "$requests" > "$work/system.paths"
mkdir -p "$work/www/a"
index=0
: > "$work/nginx.paths"
while IFS= read -r path; do
  curl -sf "$gateway$path" -o "$work/www/a/$index"
  gzip -k -6 "$work/www/a/$index"
  echo "/a/$index" >> "$work/nginx.paths"
  index=$((index + 1))
done < "$work/system.paths"
bytes=$(du -sb --exclude='*.gz' "$work/www/a" | cut -f1)
# nginx's workers run as another user when it is started as root.
chmod 755 "$work" && chmod -R a+rX "$work/www"

cat > "$work/nginx.conf" <<CONF
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  default_type application/json;
  gzip_static on;
  server { listen 127.0.0.1:$nginx_port; root $work/www; }
}
CONF
"$nginx" -p "$work" -c "$work/nginx.conf" -g 'daemon off;' &
sleep 0.5

declare -A results
echo "compare-nginx: $requests requests of the standard mix ($(numfmt --to=iec "$bytes") of answers), wrk -t2 -c$connections -d$duration, $runs alternating runs" >&2
measure "$gateway" "$work/system.paths" > /dev/null # warm-up
for run in $(seq 1 "$runs"); do
  for coding in plain "gzip, br"; do
    encoding=$([ "$coding" = plain ] && echo "" || echo "$coding")
    for target in system nginx; do
      if [ $target = system ]; then got=$(measure "$gateway" "$work/system.paths" "$encoding")
      else got=$(measure "http://127.0.0.1:$nginx_port" "$work/nginx.paths" "$encoding"); fi
      results[$target,$coding]+="$got;"
      echo "run $run  $target  $coding: $got" >&2
    done
  done
done

echo
echo "| | Accept-Encoding | req/s (median of $runs) | p99 ms | of nginx |"
echo "|---|---|---|---|---|"
for coding in plain "gzip, br"; do
  nginx_rps=$(echo "${results[nginx,$coding]}" | median 1)
  for target in system nginx; do
    rps=$(echo "${results[$target,$coding]}" | median 1)
    p99=$(echo "${results[$target,$coding]}" | median 2)
    label=$([ "$coding" = plain ] && echo "none" || echo "$coding")
    awk -v t="$target" -v l="$label" -v r="$rps" -v p="$p99" -v n="$nginx_rps" \
      'BEGIN { printf "| %s | %s | %.0f | %.1f | %.2f |\n", t, l, r, p, r / n }'
  done
done
plain=$(echo "${results[system,plain]}" | median 1)
compressed=$(echo "${results[system,gzip, br]}" | median 1)
awk -v c="$compressed" -v p="$plain" 'BEGIN { printf "\nthe system with \"gzip, br\" serves %.2f of its plain throughput\n", c / p }'
