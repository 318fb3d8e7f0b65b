#!/usr/bin/env bash
# Gives FILE (default .env) the tokens a fresh system needs, each only when
# FILE has none with a value: IMPORT_TOKEN (the imports, the seed tool's) and
# WRITE_TOKENS with one editor (the writes through the API: Swagger's
# Authorize, curl), each 256 random bits as hex, appended. An existing token is
# never changed, so running it again (every `make`) is harmless.
#
# Usage: scripts/tokens.sh [FILE]
set -euo pipefail
file=${1:-.env}
random_hex() {
  local token
  token=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
  [ ${#token} -eq 64 ] || { echo "cannot read 32 random bytes from /dev/urandom" >&2; exit 1; }
  echo "$token"
}
umask 077
if ! grep -Eq '^[[:space:]]*IMPORT_TOKEN=[^[:space:]]' "$file" 2>/dev/null; then
  printf '\n# Made by make: the credential of the import routes (keep it secret).\nIMPORT_TOKEN=%s\n' "$(random_hex)" >> "$file"
  echo "IMPORT_TOKEN written to $file"
fi
if ! grep -Eq '^[[:space:]]*WRITE_TOKENS=[^[:space:]]' "$file" 2>/dev/null; then
  printf '\n# Made by make: the token of the editor, who writes through the API (keep it secret).\nWRITE_TOKENS=editor=%s\n' "$(random_hex)" >> "$file"
  echo "WRITE_TOKENS written to $file (the editor's token: after editor=)"
fi
