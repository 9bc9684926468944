#!/usr/bin/env bash
# Runs `node "$@"` with Node.js 24 first on PATH, so every child (tests, npx) sees it too.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
node_bin=$("$root/scripts/ensure-node.sh")
export PATH="$(dirname "$node_bin"):$root/node_modules/.bin:$PATH"
# The npm dependencies and what is built from them, on first use (a no-op when up to date).
"$root/scripts/ensure-deps.sh"
exec node "$@"
