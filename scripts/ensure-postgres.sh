#!/usr/bin/env bash
# Prints the bin directory of a PostgreSQL server (initdb, pg_ctl, postgres) for the tests.
# Uses GANYMEDE_POSTGRES_BIN, else the newest Debian install under /usr/lib/postgresql; on a
# fresh machine scripts/ensure-system.sh installs Debian's `postgresql` first (needs root).
# Exits non-zero with a message when none can be found or installed: tests never skip.
set -euo pipefail
find_bin() {
  if [ -n "${GANYMEDE_POSTGRES_BIN:-}" ]; then echo "$GANYMEDE_POSTGRES_BIN"; return 0; fi
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then echo "$dir"; return 0; fi
  return 1
}
if find_bin; then exit 0; fi
"$(dirname "$0")/ensure-system.sh" test
find_bin || { echo "[ganymede] postgresql installed but initdb not found under /usr/lib/postgresql" >&2; exit 1; }
