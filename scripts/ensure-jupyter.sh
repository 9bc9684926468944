#!/usr/bin/env bash
# Prints the path of a `jupyter` command with JupyterLab. Uses GANYMEDE_JUPYTER, or one on
# PATH that has jupyterlab, or .venv/ with scripts/requirements-jupyter.txt from PyPI: created
# on first run, and installed again when that file changes (a stamp in .venv holds its hash),
# so a package added there (nbgitpuller) reaches venvs made before it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "${GANYMEDE_JUPYTER:-}" ]; then echo "$GANYMEDE_JUPYTER"; exit 0; fi
requirements="$root/scripts/requirements-jupyter.txt"
venv_jupyter="$root/.venv/bin/jupyter"
stamp="$root/.venv/.requirements-sha256"
wanted=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ -x "$venv_jupyter" ] && "$venv_jupyter" lab --version >/dev/null 2>&1; then
  if [ "$(cat "$stamp" 2>/dev/null || true)" != "$wanted" ]; then
    echo "[ganymede] scripts/requirements-jupyter.txt changed: updating .venv" >&2
    "$root/.venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" >&2
    echo "$wanted" >"$stamp"
  fi
  echo "$venv_jupyter"
  exit 0
fi
if command -v jupyter >/dev/null && jupyter lab --version >/dev/null 2>&1; then command -v jupyter; exit 0; fi
echo "[ganymede] no jupyter found: creating .venv with JupyterLab from PyPI (first run only)" >&2
python3 -m venv "$root/.venv"
"$root/.venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" >&2
echo "$wanted" >"$stamp"
echo "$venv_jupyter"
