#!/usr/bin/env bash
# Builds the images a real test node runs, here, with buildah, from Debian packages and PyPI,
# under their real names, and stores them in a registry folder that is cached: a warm run only
# compares recipe stamps (well under a second). Prints that folder; each test run serves a
# hard-linked copy of it with its own registry (real-node/node-images.ts).
#
#   quay.io/jupyter/minimal-notebook:2025-06-02  laid out like Jupyter's docker-stacks images:
#       user jovyan uid 1000 gid 100 (users), HOME /home/jovyan, JupyterLab and nbgitpuller
#       from PyPI (scripts/requirements-jupyter.txt) in /opt/venv on PATH, git (nbgitpuller's
#       content links clone with it, and docker-stacks' images have it too), tini as PID 1,
#       start-notebook.py/.sh as docker-stacks has them; the operator runs `jupyter lab …`.
#       Like docker-stacks' images it also has JupyterHub's `jupyterhub-singleuser` (the
#       version bench/spawn/requirements.txt pins), so the same image is also pushed as
#       quay.io/jupyterhub/k8s-singleuser-sample:4.3.0, KubeSpawner's image in bench/spawn:
#       both systems then start the very same server files.
#   docker.io/library/busybox:1.36      Debian's busybox-static, user 1000:100, for small tests
#   registry.k8s.io/pause:3.10          the static pause binary build.sh makes (sandbox image)
#   registry.k8s.io/coredns/coredns:<v> the coredns binary build.sh makes (cluster DNS)
#
# Usage: build-node-images.sh <binaries folder from test/cluster/build.sh>
# Needs root (rootful buildah with its own storage under the cache folder, so podman's default
# storage, which scripts/build-image.sh uses, is never touched).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
bin=${1:?usage: build-node-images.sh <binaries folder>}
cache="${XDG_CACHE_HOME:-$HOME/.cache}/ganymede/node-images"
log() { echo "[node-images] $*" >&2; }
# Bump when a recipe below changes in a way the stamp inputs would not show.
recipe=1
notebook_ref=quay.io/jupyter/minimal-notebook:2025-06-02
singleuser_ref=quay.io/jupyterhub/k8s-singleuser-sample:4.3.0
jupyterhub_pin=$(grep -E '^jupyterhub==' "$root/bench/spawn/requirements.txt")
busybox_ref=docker.io/library/busybox:1.36
pause_ref=registry.k8s.io/pause:3.10
coredns_version=$("$bin/coredns" -version | sed -n 's/^CoreDNS-//p')
coredns_ref=registry.k8s.io/coredns/coredns:v$coredns_version

stamp=$(cat "$0" "$root/scripts/requirements-jupyter.txt" "$root/bench/spawn/requirements.txt" \
  "$bin/pause" "$bin/coredns" |
  sha256sum | cut -c1-16)
seed="$cache/registry-$recipe-$stamp"
if [ -f "$seed/.complete" ]; then
  echo "$seed"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "build-node-images.sh needs root (rootful buildah)" >&2
  exit 1
fi
# One build at a time (two clusters starting side by side on a cold cache would otherwise
# build into the same folder): wait for the other, then use what it built.
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [ -f "$seed/.complete" ]; then
  echo "$seed"
  exit 0
fi
"$root/scripts/ensure-system.sh" test
start=$(date +%s)
mkdir -p "$cache"
export CONTAINERS_CONF="${XDG_CACHE_HOME:-$HOME/.cache}/ganymede/node-images-containers.conf"
# runc (crun refuses this machine's hybrid cgroups) and ulimits no higher than allowed here,
# as in scripts/build-image.sh.
nofile=$(ulimit -Hn)
if [ "$nofile" = unlimited ] || [ "$nofile" -gt 1048576 ]; then nofile=1048576; fi
printf '%s\n' '[containers]' "default_ulimits = [\"nofile=$nofile:$nofile\"]" \
  '[engine]' 'runtime = "runc"' >"$CONTAINERS_CONF"
work=$(mktemp -d)
registry_pid=
cleanup() {
  if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null || true; fi
  buildah --root "$work/storage" --runroot "$work/run" rm --all >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
b() { buildah --root "$work/storage" --runroot "$work/run" --storage-driver overlay "$@"; }

# --- a registry to push into; its folder becomes the cached seed ------------------------------
rm -rf "$seed.partial"
mkdir -p "$seed.partial"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/registry.yml" <<EOF
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $seed.partial}}
http: {addr: 127.0.0.1:$port}
EOF
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 50); do
  if python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/v2/')" 2>/dev/null; then break; fi
  sleep 0.1
done
push() { # <local image> <real reference>
  local path=${2#*/} # quay.io/jupyter/x:t → jupyter/x:t
  b push --quiet --tls-verify=false "$1" "docker://127.0.0.1:$port/$path" >&2
  log "pushed $2"
}

# --- pause and coredns: one static binary each ------------------------------------------------
c=$(b from scratch)
b copy "$c" "$bin/pause" /pause >/dev/null
b config --entrypoint '["/pause"]' --user 65535:65535 "$c"
b commit --quiet --format oci "$c" pause >/dev/null
push pause "$pause_ref"
c=$(b from scratch)
b copy "$c" "$bin/coredns" /coredns >/dev/null
b config --entrypoint '["/coredns"]' "$c"
b commit --quiet --format oci "$c" coredns >/dev/null
push coredns "$coredns_ref"

# --- busybox: Debian's static busybox, a user 1000:100 ---------------------------------------
bb="$work/busybox"
mkdir -p "$bb"/{bin,etc,tmp,home/jovyan}
cp /bin/busybox "$bb/bin/busybox"
for applet in $(/bin/busybox --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$bb/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\njovyan:x:1000:100::/home/jovyan:/bin/sh\n' >"$bb/etc/passwd"
printf 'root:x:0:\nusers:x:100:\n' >"$bb/etc/group"
chmod 1777 "$bb/tmp"
chown 1000:100 "$bb/home/jovyan"
# `buildah add` of a tar keeps numeric owners (`copy` of a folder would not).
tar --numeric-owner -C "$bb" -cf "$work/busybox.tar" .
c=$(b from scratch)
b add "$c" "$work/busybox.tar" / >/dev/null
b config --user 1000:100 --workingdir /home/jovyan --env PATH=/bin --cmd '["sh"]' "$c"
b commit --quiet --format oci "$c" busybox >/dev/null
push busybox "$busybox_ref"

# --- the notebook image -----------------------------------------------------------------------
sources=()
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  if [ -s "$f" ]; then sources+=("$f"); fi
done
log "notebook image: Debian bookworm minbase (mmdebstrap) from ${sources[*]}"
mmdebstrap --variant=minbase --mode=root --format=tar --quiet \
  --include=python3,python3-venv,ca-certificates,tini,git \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
  --customize-hook='chroot "$1" useradd --uid 1000 --gid 100 --shell /bin/bash --create-home jovyan' \
  bookworm "$work/notebook-rootfs.tar" "${sources[@]}" >&2
c=$(b from scratch)
b add "$c" "$work/notebook-rootfs.tar" / >/dev/null
# pip needs this machine's CA bundle (egress goes through an inspecting proxy) and its PyPI
# settings; both are bind-mounted for this step only, so neither ends up in the image.
ca=${PIP_CERT:-/etc/ssl/certs/ca-certificates.crt}
b run --isolation chroot --network host --volume "$ca:/run/build-ca.crt:ro" \
  --volume "$root/scripts/requirements-jupyter.txt:/run/requirements.txt:ro" "$c" -- sh -c '
    python3 -m venv /opt/venv &&
    /opt/venv/bin/pip install --quiet --no-cache-dir --disable-pip-version-check \
      --cert /run/build-ca.crt -r /run/requirements.txt '"$jupyterhub_pin"' &&
    chown -R 1000:100 /home/jovyan'
# docker-stacks start scripts: start-notebook.py runs `jupyter lab` with the arguments given.
cat >"$work/start-notebook.py" <<'EOF'
#!/opt/venv/bin/python3
"""Like docker-stacks' start-notebook.py: under JupyterHub (JUPYTERHUB_API_TOKEN set) run
jupyterhub-singleuser, else JupyterLab (or $DOCKER_STACKS_JUPYTER_CMD)."""
import os
import sys

if "JUPYTERHUB_API_TOKEN" in os.environ:
    command = ["jupyterhub-singleuser"]
else:
    command = ["jupyter", os.environ.get("DOCKER_STACKS_JUPYTER_CMD", "lab")]
os.execvp(command[0], [*command, *sys.argv[1:]])
EOF
printf '#!/bin/sh\nexec /usr/local/bin/start-notebook.py "$@"\n' >"$work/start-notebook.sh"
chmod 755 "$work/start-notebook.py" "$work/start-notebook.sh"
b copy --chmod 755 "$c" "$work/start-notebook.py" "$work/start-notebook.sh" /usr/local/bin/ >/dev/null
b config --user 1000:100 --workingdir /home/jovyan \
  --env PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env HOME=/home/jovyan --env NB_USER=jovyan --env NB_UID=1000 --env NB_GID=100 \
  --env SHELL=/bin/bash --env LANG=C.UTF-8 --port 8888 \
  --entrypoint '["tini", "-g", "--"]' --cmd '["start-notebook.py"]' "$c"
b commit --quiet --format oci "$c" notebook >/dev/null
push notebook "$notebook_ref"
push notebook "$singleuser_ref"

kill "$registry_pid"
wait "$registry_pid" 2>/dev/null || true
registry_pid=
printf '%s\n' "$notebook_ref" "$singleuser_ref" "$busybox_ref" "$pause_ref" "$coredns_ref" \
  >"$seed.partial/images"
touch "$seed.partial/.complete"
rm -rf "$seed"
mv "$seed.partial" "$seed"
# Older seeds (other recipes) are not needed any more.
for old in "$cache"/registry-*; do
  if [ "$old" != "$seed" ]; then rm -rf "$old"; fi
done
log "built and stored in $(($(date +%s) - start)) s: $seed ($(du -sh "$seed" | cut -f1))"
echo "$seed"
