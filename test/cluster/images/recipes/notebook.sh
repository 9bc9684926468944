#!/usr/bin/env bash
# quay.io/jupyter/{base,minimal}-notebook: laid out like Jupyter's docker-stacks images, from
# Debian packages and PyPI instead of conda:
#   - Debian bookworm minbase (mmdebstrap, from this machine's own apt sources, like
#     scripts/build-image.sh) with python3, python3-venv, ca-certificates, tini;
#   - user jovyan, uid 1000, primary group users (100), home /home/jovyan; the image runs as
#     USER 1000 in /home/jovyan, like docker-stacks;
#   - JupyterLab from PyPI, pinned by scripts/requirements-jupyter.txt, in the venv /opt/venv on
#     PATH, owned by jovyan:users and group-writable (docker-stacks' fix-permissions), so users
#     can `pip install` into it;
#   - ENTRYPOINT tini -g -- start.sh, CMD start-notebook.py (→ `jupyter lab`), start-notebook.sh,
#     /etc/jupyter/jupyter_server_config.py (all addresses, port $JUPYTER_PORT, no browser), and
#     docker-stacks' environment (NB_USER, NB_UID, NB_GID, JUPYTER_PORT, SHELL, HOME, …).
# The operator runs `jupyter lab --ServerApp.base_url=… --ServerApp.ip=0.0.0.0 …` as the
# container's command (src/kubernetes/resources/deployment.ts): `jupyter` on PATH is enough.
#
# Usage: notebook.sh <out> <requirements.txt>
source "$(dirname "$0")/common.sh"
out=$1
requirements=$2
work=$(mktemp -d)
trap 'buildah rm --all >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

sources=()
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  if [ -s "$f" ]; then sources+=("$f"); fi
done
echo "[images] notebook: Debian bookworm minbase from ${sources[*]}" >&2
# Like docker-stacks' Ubuntu base: no documentation, man pages or info.
mmdebstrap --variant=minbase --mode=root --format=tar --quiet \
  --include=python3,python3-venv,ca-certificates,tini \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
  --customize-hook='chroot "$1" useradd --no-log-init --create-home --shell /bin/bash --uid 1000 --gid 100 jovyan' \
  bookworm "$work/rootfs.tar" "${sources[@]}" >&2

c=$(buildah from --quiet scratch)
# `buildah add` unpacks the tar and keeps its owners and modes (`buildah copy` would not).
buildah add --quiet "$c" "$work/rootfs.tar" / >/dev/null
rm -f "$work/rootfs.tar"

# pip reaches PyPI as this machine does: through a TLS-inspecting proxy whose CA only this
# machine trusts, so its CA bundle is bind-mounted for this step only (never in a layer).
echo "[images] notebook: JupyterLab from PyPI ($(grep -c '^[a-z]' "$requirements") pinned packages)" >&2
ca=${PIP_CERT:-/etc/ssl/certs/ca-certificates.crt}
pip_env=()
for v in PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_DEFAULT_TIMEOUT; do
  if [ -n "${!v:-}" ]; then pip_env+=(--env "$v=${!v}"); fi
done
buildah run --isolation chroot --network host "${pip_env[@]}" \
  --volume "$ca:/run/build-ca.crt:ro" --volume "$requirements:/run/requirements.txt:ro" \
  "$c" -- sh -ec '
    python3 -m venv /opt/venv
    /opt/venv/bin/pip install --quiet --disable-pip-version-check --no-cache-dir \
      --cert /run/build-ca.crt -r /run/requirements.txt
    chown -R 1000:100 /opt/venv /home/jovyan
    chmod -R g+w /opt/venv /home/jovyan
    find /opt/venv -type d -exec chmod g+s {} +' >&2

buildah copy --quiet --chmod 0755 "$c" "$recipes/notebook/start.sh" "$recipes/notebook/start-notebook.py" \
  "$recipes/notebook/start-notebook.sh" /usr/local/bin/ >/dev/null
buildah copy --quiet --chmod 0644 "$c" "$recipes/notebook/jupyter_server_config.py" /etc/jupyter/ >/dev/null
buildah config --user 1000 --workingdir /home/jovyan \
  --env PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env SHELL=/bin/bash --env NB_USER=jovyan --env NB_UID=1000 --env NB_GID=100 \
  --env LC_ALL=C.UTF-8 --env LANG=C.UTF-8 --env HOME=/home/jovyan \
  --env XDG_CACHE_HOME=/home/jovyan/.cache/ --env JUPYTER_PORT=8888 --port 8888/tcp \
  --entrypoint '["tini", "-g", "--", "start.sh"]' --cmd '["start-notebook.py"]' \
  --label org.opencontainers.image.description="docker-stacks-like JupyterLab on Debian bookworm" "$c"
buildah commit "${commit_options[@]}" "$c" "oci:$out:image" >/dev/null
