#!/usr/bin/env bash
# Prints the bin directory of a PostgreSQL server (initdb, pg_ctl, postgres) for the tests.
# Uses GANYMEDE_POSTGRES_BIN, else the newest Debian install under /usr/lib/postgresql, else
# `pg_config --bindir`; on a fresh machine installs Debian's `postgresql` with apt-get (needs
# root). Exits non-zero with a message when none can be found or installed: tests never skip.
set -euo pipefail
find_bin() {
  if [ -n "${GANYMEDE_POSTGRES_BIN:-}" ]; then echo "$GANYMEDE_POSTGRES_BIN"; return 0; fi
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then echo "$dir"; return 0; fi
  if command -v pg_config >/dev/null; then
    dir=$(pg_config --bindir)
    if [ -x "$dir/initdb" ]; then echo "$dir"; return 0; fi
  fi
  return 1
}
if find_bin; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "[ganymede] PostgreSQL is not installed and only root can apt-get install it:" >&2
  echo "[ganymede]   sudo apt-get install -y postgresql   (or set GANYMEDE_POSTGRES_BIN)" >&2
  exit 1
fi
echo "[ganymede] no PostgreSQL found: installing Debian's postgresql (first run only)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends postgresql >&2
find_bin || { echo "[ganymede] postgresql installed but initdb not found" >&2; exit 1; }
