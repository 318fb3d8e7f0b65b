#!/usr/bin/env bash
# The whole test suite with MongoDB too: brings up a throwaway MongoDB
# (docker-compose.test.yaml, on 127.0.0.1:${MONGODB_TEST_PORT:-27017}), runs
# `scripts/test.sh` with MONGODB_TEST_URI pointing at it, so that the store
# conformance suites and the end-to-end test also run on MongoDB, then removes
# the server and its data. Needs Docker with Compose.
set -euo pipefail
cd "$(dirname "$0")/.."
read -r -a compose <<< "${COMPOSE:-docker compose}"
compose+=(-f docker-compose.test.yaml -p concerts-api-test)
port=${MONGODB_TEST_PORT:-27017}

"${compose[@]}" up -d
trap '"${compose[@]}" down -v' EXIT
echo "waiting for the test MongoDB on 127.0.0.1:$port..."
for attempt in $(seq 1 60); do
  if "${compose[@]}" exec -T mongo mongosh --quiet --eval 'quit(db.runCommand({ping: 1}).ok ? 0 : 1)' >/dev/null 2>&1; then
    break
  fi
  [ "$attempt" -lt 60 ] || { echo "the test MongoDB did not answer within 60 s" >&2; exit 1; }
  sleep 1
done

MONGODB_TEST_URI="mongodb://127.0.0.1:$port" scripts/test.sh "$@"
