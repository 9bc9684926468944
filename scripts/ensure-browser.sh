#!/usr/bin/env bash
# Prints the path of Debian's Chromium for the browser tests, installing the package when it
# is missing (we never download a browser build of our own: playwright-core drives this one).
set -euo pipefail
if [ -n "${GANYMEDE_CHROMIUM:-}" ] && [ -x "$GANYMEDE_CHROMIUM" ]; then echo "$GANYMEDE_CHROMIUM"; exit 0; fi
if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" != 0 ]; then echo "[ganymede] chromium is missing: sudo apt-get install chromium" >&2; exit 1; fi
  echo "[ganymede] installing Debian's chromium for the browser tests" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >&2
fi
command -v chromium
