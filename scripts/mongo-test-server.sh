#!/usr/bin/env bash
# The MongoDB-compatible server the tests run the MongoDB stores against, on
# machines where no mongod can be installed: SecantusDB, a pure-Python server
# speaking MongoDB's wire protocol (PyPI, GPL-2.0, a beta). It is NOT
# MongoDB; `make test-mongo` runs the same suites against mongo:7 in Docker.
# Only tests use it: nothing of the product starts or ships it.
#
#   scripts/mongo-test-server.sh start   # installs it if needed, starts it on a free
#                                        # loopback port, prints its URI
#   scripts/mongo-test-server.sh stop    # stops it
#
# It lives outside the source tree, in target/mongo-test-server/: a virtual
# environment (reused when it holds the pinned version), the server's log and
# its pid. Its data is in memory and goes with it.
set -euo pipefail
cd "$(dirname "$0")/.."

# Pinned: the version the tests were checked against (docs/testing.md).
SECANTUS_VERSION=0.7.0b3
home=target/mongo-test-server
venv=$home/venv
pid_file=$home/server.pid
log=$home/server.log

say() { printf 'mongo-test-server: %s\n' "$*" >&2; }

install() {
  if [ -x "$venv/bin/secantusd-py" ] && [ "$(cat "$venv/.version" 2>/dev/null)" = "$SECANTUS_VERSION" ]; then
    return 0
  fi
  command -v python3 >/dev/null 2>&1 || { say "no python3 on this machine: SecantusDB needs Python 3 with pip"; return 1; }
  rm -rf "$venv"
  mkdir -p "$home"
  python3 -m venv "$venv" >"$home/install.log" 2>&1 || {
    say "python3 cannot make a virtual environment (on Debian: apt-get install python3-venv); see $home/install.log"
    return 1
  }
  "$venv/bin/pip" install --quiet --disable-pip-version-check "SecantusDB==$SECANTUS_VERSION" >>"$home/install.log" 2>&1 || {
    say "pip could not install SecantusDB==$SECANTUS_VERSION; see $home/install.log"
    return 1
  }
  echo "$SECANTUS_VERSION" >"$venv/.version"
}

free_port() {
  "$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
  install || return 1
  stop 2>/dev/null || true
  local port
  port=$(free_port)
  "$venv/bin/secantusd-py" --host 127.0.0.1 --port "$port" --storage-path :memory: --standalone \
    --log-level WARNING >"$log" 2>&1 &
  echo $! >"$pid_file"
  local uri="mongodb://127.0.0.1:$port"
  # pymongo comes with the server: ask it for a ping, bounded to 30 s.
  for _ in $(seq 1 60); do
    if "$venv/bin/python" - "$uri" >/dev/null 2>&1 <<'PY'; then
import sys, pymongo
pymongo.MongoClient(sys.argv[1], serverSelectionTimeoutMS=500).admin.command("ping")
PY
      echo "$uri"
      return 0
    fi
    kill -0 "$(cat "$pid_file")" 2>/dev/null || break
    sleep 0.5
  done
  say "SecantusDB did not answer on $uri within 30 s; its log:"
  tail -n 20 "$log" >&2 || true
  stop || true
  return 1
}

stop() {
  [ -f "$pid_file" ] || return 0
  local pid
  pid=$(cat "$pid_file")
  rm -f "$pid_file"
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.2
  done
  kill -KILL "$pid" 2>/dev/null || true
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
