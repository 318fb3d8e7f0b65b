#!/usr/bin/env bash
# Runs schemathesis (pinned from PyPI, in a virtual environment under
# target/) against the running system, writes included: every operation of
# the OpenAPI document with generated valid and invalid input, then its
# stateful phase, which follows the document's links (create → read →
# change → delete). It fails on a server error, an answer its document does
# not describe, or bad input accepted.
#
# Usage: scripts/schemathesis.sh [GATEWAY_URL]
#   GATEWAY_URL defaults to http://127.0.0.1:$GATEWAY_HTTP_PORT of .env (3000);
#   the writes use the first token of WRITE_TOKENS in .env (make writes one).
#   MAX_EXAMPLES=30 SEED=23 to change how many cases and which.
# Run the system with RATE_LIMITS=off in .env: this is one client sending
# thousands of requests, and 429s, although documented, would test less.
set -euo pipefail
cd "$(dirname "$0")/.."
version=4.32.5
venv=target/schemathesis-$version
max_examples=${MAX_EXAMPLES:-30}
seed=${SEED:-23}

setting() { # the value of NAME in .env, if it is there
  [ -f .env ] || return 0
  sed -n "s/^[[:space:]]*$1=//p" .env | tail -n 1
}
port=$(setting GATEWAY_HTTP_PORT)
url=${1:-http://127.0.0.1:${port:-3000}}
# The first token given in the clear (name=token); a hashed one (name=sha256:...) cannot be sent.
token=$(setting WRITE_TOKENS | tr ',' '\n' | sed -n 's/^[[:space:]]*[^=]*=\([^:[:space:]]*\)[[:space:]]*$/\1/p' | head -n 1)
if [ -z "$token" ]; then
  echo "schemathesis.sh: .env has no WRITE_TOKENS entry given in the clear (name=token): make writes one" >&2
  exit 2
fi

if ! "$venv/bin/schemathesis" --version >/dev/null 2>&1; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
fi

# No proxy: the system is on this machine.
export NO_PROXY='*' no_proxy='*'
exec "$venv/bin/schemathesis" --config-file scripts/schemathesis.toml run "$url/api-json" \
  --url "$url" \
  --wait-for-schema 30 \
  --phases examples,coverage,fuzzing,stateful \
  --max-examples "$max_examples" \
  --seed "$seed" \
  --generation-database none \
  --workers 1 \
  --request-timeout 10 \
  --header "Authorization: Bearer $token" \
  --no-color
