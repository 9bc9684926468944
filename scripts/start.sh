#!/usr/bin/env bash
# `npm start`: everything a fresh machine needs, then the hub in local mode on :8000.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/ensure-system.sh" start
GANYMEDE_JUPYTER=$("$root/scripts/ensure-jupyter.sh")
export GANYMEDE_JUPYTER
# with-node.sh installs Node.js 24 and the npm dependencies (and builds from them) first.
exec "$root/scripts/with-node.sh" "$root/src/cli/main.ts" serve "$@"
