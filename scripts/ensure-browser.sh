#!/usr/bin/env bash
# Prints the path of Debian's Chromium for the browser tests (we never download a browser build
# of our own: playwright-core drives this one). scripts/ensure-system.sh installs the package.
set -euo pipefail
if [ -n "${GANYMEDE_CHROMIUM:-}" ] && [ -x "$GANYMEDE_CHROMIUM" ]; then echo "$GANYMEDE_CHROMIUM"; exit 0; fi
command -v chromium >/dev/null || "$(dirname "$0")/ensure-system.sh" test
command -v chromium
