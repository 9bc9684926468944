#!/usr/bin/env bash
# `npm start`: everything a fresh machine needs, then the hub in local mode on :8000.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/ensure-node.sh" >/dev/null
"$root/scripts/ensure-deps.sh"
"$root/scripts/ensure-system.sh" start
GANYMEDE_JUPYTER=$("$root/scripts/ensure-jupyter.sh")
export GANYMEDE_JUPYTER
exec "$root/scripts/with-node.sh" "$root/src/cli/main.ts" serve "$@"
