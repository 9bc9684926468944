#!/usr/bin/env bash
# Prints the path of a Python with client code written for JupyterHub, from PyPI
# (requirements-hub-client.txt), in .tools/hub-client-venv (first run only): the integration
# tests drive our hub with tools and scripts written for JupyterHub.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
venv="$root/.tools/hub-client-venv"
check='import jupyterhub.services.auth, jupyterhub_idle_culler, requests, websocket'
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "$check" 2>/dev/null; then
  echo "$venv/bin/python"; exit 0
fi
echo "[ganymede] installing $here/requirements-hub-client.txt into $venv (first run only)" >&2
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
# `python -m pip`, not bin/pip: a venv's scripts keep the path it was created at.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements-hub-client.txt" >&2
echo "$venv/bin/python"
