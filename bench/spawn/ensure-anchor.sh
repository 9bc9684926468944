#!/usr/bin/env bash
# Prints the venv folder holding the benchmark's anchor (JupyterHub + KubeSpawner, pinned in
# requirements.txt). Creates .tools/bench-jupyterhub-venv from PyPI on the first run, and
# again when requirements.txt or this script changes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
venv="$root/.tools/bench-jupyterhub-venv"
stamp="$venv/.requirements.sha256"
want=$(cat "$here/requirements.txt" "$0" | sha256sum | cut -d' ' -f1)
if [ -x "$venv/bin/jupyterhub" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "$venv"; exit 0
fi
echo "[bench/spawn] installing JupyterHub + KubeSpawner into $venv (first run only)" >&2
# The system Python, not pyenv's: pods run as other users (uid 1000), who cannot traverse
# /root where pyenv lives (only the harness's first exec, still holding root's capabilities,
# gets through; the second one in the pod's setpriv chain is refused with EACCES).
rm -rf "$venv"
/usr/bin/python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt" >&2
echo "$want" > "$stamp"
echo "$venv"
