#!/usr/bin/env bash
# Checks (and on Debian installs) what the cluster tier needs besides Go:
#   iproute2    `ip` for the pods' network namespaces, veths and bridge
#   util-linux  `nsenter` and `setpriv` (enter a pod's netns, become its user, pdeathsig)
#   python3-venv  only when the test environment's Python is not usable by non-root pods
#                 (node-agent/jupyter-runtime.ts builds a twin venv from /usr/bin/python3.X)
# and that we run as root (network namespaces and runAsUser need it). Fails loudly otherwise.
set -euo pipefail
missing=()
command -v ip >/dev/null || missing+=(iproute2)
{ command -v nsenter >/dev/null && command -v setpriv >/dev/null; } || missing+=(util-linux)
if [ -x /usr/bin/python3 ] && ! /usr/bin/python3 -c 'import ensurepip, venv' 2>/dev/null; then
  missing+=("python$(/usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')-venv")
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "[cluster] installing Debian packages: ${missing[*]}" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  else
    echo "[cluster] missing packages: ${missing[*]} (install them as root)" >&2
    exit 1
  fi
fi
if [ "$(id -u)" != 0 ]; then
  echo "[cluster] the cluster tier must run as root (network namespaces, runAsUser)" >&2
  exit 1
fi
