#!/usr/bin/env bash
# Checks the Kubernetes manifests of deploy/kubernetes against the schemas of
# Kubernetes $KUBERNETES_VERSION with kubernetes-validate (PyPI, pinned),
# strictly: unknown fields are errors, and so is any warning; then
# deploy/kubernetes/check.py checks that the parts fit together.
#
#   scripts/k8s-validate.sh           # installs it if needed, validates; exit 1 on any problem,
#                                     # 3 when it cannot be installed
#   scripts/k8s-validate.sh install   # only installs it; prints the path of the validator
#
# It lives in target/k8s-validate/ (a virtual environment, reused when it
# holds the pinned version), like the MongoDB test server.
set -euo pipefail
cd "$(dirname "$0")/.."

VALIDATOR_VERSION=1.37.0
KUBERNETES_VERSION=1.33
home=target/k8s-validate
venv=$home/venv
validator=$venv/bin/kubernetes-validate

install() {
  if [ -x "$validator" ] && [ "$(cat "$venv/.version" 2>/dev/null)" = "$VALIDATOR_VERSION" ]; then
    return 0
  fi
  command -v python3 >/dev/null 2>&1 || { echo "k8s-validate: no python3 on this machine" >&2; return 1; }
  rm -rf "$venv" && mkdir -p "$home"
  python3 -m venv "$venv" >"$home/install.log" 2>&1 &&
    "$venv/bin/pip" install --quiet --disable-pip-version-check "kubernetes-validate==$VALIDATOR_VERSION" >>"$home/install.log" 2>&1 || {
    echo "k8s-validate: could not install kubernetes-validate==$VALIDATOR_VERSION; see $home/install.log" >&2
    return 1
  }
  echo "$VALIDATOR_VERSION" >"$venv/.version"
}

# Exit status 3: the validator could not be installed (tests say they skipped, outside CI).
install || exit 3
if [ "${1:-}" = install ]; then
  realpath "$validator"
  exit 0
fi
# The resources, not kustomize's own file (which is no Kubernetes object).
manifests=$(ls deploy/kubernetes/*.yaml | grep -v '/kustomization.yaml$')
output=$("$validator" --strict --kubernetes-version "$KUBERNETES_VERSION" $manifests 2>&1) || { echo "$output"; exit 1; }
echo "$output"
if grep -qiE 'warn|error' <<<"$output"; then
  echo "k8s-validate: the validator warned (above)" >&2
  exit 1
fi
# What the schemas cannot check: that the parts fit together.
"$venv/bin/python" deploy/kubernetes/check.py
echo "k8s-validate: $(wc -w <<<"$manifests") manifests valid against Kubernetes $KUBERNETES_VERSION (kubernetes-validate $VALIDATOR_VERSION, strict)"
