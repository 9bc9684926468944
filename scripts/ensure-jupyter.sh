#!/usr/bin/env bash
# Prints the path of a `jupyter` command with JupyterLab. Uses GANYMEDE_JUPYTER, or one on
# PATH that has jupyterlab, or creates .venv/ with JupyterLab from PyPI (first run only).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "${GANYMEDE_JUPYTER:-}" ]; then echo "$GANYMEDE_JUPYTER"; exit 0; fi
venv_jupyter="$root/.venv/bin/jupyter"
if [ -x "$venv_jupyter" ] && "$venv_jupyter" lab --version >/dev/null 2>&1; then echo "$venv_jupyter"; exit 0; fi
if command -v jupyter >/dev/null && jupyter lab --version >/dev/null 2>&1; then command -v jupyter; exit 0; fi
echo "[ganymede] no jupyter found: creating .venv with JupyterLab from PyPI (first run only)" >&2
python3 -m venv "$root/.venv"
"$root/.venv/bin/pip" install --quiet --disable-pip-version-check -r "$root/scripts/requirements-jupyter.txt" >&2
echo "$venv_jupyter"
