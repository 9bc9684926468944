#!/usr/bin/env bash
# Installs the npm dependencies when node_modules is missing or older than the lock file, then
# builds the one-file Kubernetes client when it is missing or stale
# (scripts/bundle-kubernetes-client.ts; src/kubernetes/client/client-node.ts says why).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[ganymede] installing npm dependencies" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
bundle=.build/kubernetes-client.mjs
stale=
for input in node_modules/.package-lock.json src/kubernetes/client/client-node.ts scripts/bundle-kubernetes-client.ts; do
  [ "$input" -nt "$bundle" ] && stale=yes
done
if [ ! -f "$bundle" ] || [ -n "$stale" ]; then
  node_bin=$(scripts/ensure-node.sh)
  "$node_bin" scripts/bundle-kubernetes-client.ts --force
fi
