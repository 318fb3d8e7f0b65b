#!/usr/bin/env bash
# Gives FILE (default .env) an IMPORT_TOKEN when it has none with a value:
# 256 random bits as hex, appended. An existing token is never changed, so
# running it again (every `make`) is harmless.
#
# Usage: scripts/import-token.sh [FILE]
set -euo pipefail
file=${1:-.env}
if grep -Eq '^[[:space:]]*IMPORT_TOKEN=[^[:space:]]' "$file" 2>/dev/null; then
  exit 0
fi
token=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
[ ${#token} -eq 64 ] || { echo "cannot read 32 random bytes from /dev/urandom" >&2; exit 1; }
umask 077
printf '\n# Made by make: the credential of the import routes (keep it secret).\nIMPORT_TOKEN=%s\n' "$token" >> "$file"
echo "IMPORT_TOKEN written to $file"
