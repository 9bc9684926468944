#!/usr/bin/env bash
# Prints the path of a Python with JupyterHub's own client code (jupyterhub's HubAuth and
# jupyterhub-idle-culler) from PyPI, in .tools/hub-client-venv (first run only): the API
# integration test drives our hub with the tools written for JupyterHub.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
venv="$root/.tools/hub-client-venv"
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import jupyterhub.services.auth, jupyterhub_idle_culler' 2>/dev/null; then
  echo "$venv/bin/python"; exit 0
fi
echo "[ganymede] creating $venv with jupyterhub and jupyterhub-idle-culler from PyPI (first run only)" >&2
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$root/test/integration/api/requirements-hub-client.txt" >&2
echo "$venv/bin/python"
