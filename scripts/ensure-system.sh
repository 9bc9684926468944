#!/usr/bin/env bash
# Checks the Debian packages named in scripts/system-packages.txt for the given groups (start,
# test, bench; default: start test; base always) and installs the missing ones with one
# `apt-get update` and one `apt-get install` when run as root; otherwise it names them and
# fails. The one place in this project that installs system packages.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
list="$root/scripts/system-packages.txt"
groups=("$@")
if [ ${#groups[@]} -eq 0 ]; then groups=(start test); fi
packages=()
while read -r name group _; do
  case "$name" in '' | '#'* | @*) continue ;; esac
  if [ "$group" = base ] || [[ " ${groups[*]} " == *" $group "* ]]; then packages+=("$name"); fi
done <"$list"

missing=()
if command -v dpkg-query >/dev/null; then
  installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${packages[@]}" 2>/dev/null || true)
  for p in "${packages[@]}"; do
    grep -qx "$p installed" <<<"$installed" || missing+=("$p")
  done
else
  echo "[system] no dpkg here: install the Debian packages ${packages[*]} (or their equivalents) yourself" >&2
  exit 0
fi
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "[system] missing Debian packages for ${groups[*]}: ${missing[*]}" >&2
  echo "[system] install them as root: apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "[system] installing Debian packages: ${missing[*]}" >&2
start=$(date +%s)
apt_log=$(mktemp)
# With recommends: podman 4.3 needs one of them (netavark) even to import an image.
# Lock timeout: wait for another apt run (a second test run, unattended upgrades) to finish.
if ! { apt-get -o DPkg::Lock::Timeout=300 update -qq &&
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
    "${missing[@]}"; } >"$apt_log" 2>&1; then
  tail -n 40 "$apt_log" >&2
  echo "[system] apt-get could not install: ${missing[*]}" >&2
  exit 1
fi
rm -f "$apt_log"
echo "[system] installed in $(($(date +%s) - start)) s" >&2
