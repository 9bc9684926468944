# Sourced by every image recipe (recipes/*.sh). images.ts runs a recipe as
#   bash recipes/<image>.sh <out> [inputs…]
# with IMAGES_CACHE set; the recipe writes one OCI image layout to <out> (a folder that does not
# exist yet) and nothing else. Caching, naming and pushing are images.ts's business; builds are
# one at a time (images.ts holds a lock).
#
# buildah runs rootful with its own storage under the images cache ($IMAGES_CACHE/buildah, via
# CONTAINERS_STORAGE_CONF), so it never touches podman's default storage (scripts/build-image.sh's
# images), and with our own containers.conf, as scripts/build-image.sh does: runc (crun 1.8
# refuses this machine's hybrid cgroups) and ulimits no higher than this process may set (the
# engines' defaults fail here with "setrlimit RLIMIT_NOFILE: Operation not permitted").
# Only variables here: the system-package check reads each recipe on its own.
set -euo pipefail
: "${IMAGES_CACHE:?IMAGES_CACHE must name the images cache folder (images.ts sets it)}"
recipes=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export CONTAINERS_CONF="$IMAGES_CACHE/containers.conf"
export CONTAINERS_STORAGE_CONF="$IMAGES_CACHE/storage.conf"
if [ ! -s "$CONTAINERS_CONF" ] || [ ! -s "$CONTAINERS_STORAGE_CONF" ]; then
  nofile=$(ulimit -Hn)
  nproc=$(ulimit -Hu)
  pid_max=$(cat /proc/sys/kernel/pid_max)
  if [ "$nofile" = unlimited ] || [ "$nofile" -gt 1048576 ]; then nofile=1048576; fi
  if [ "$nproc" = unlimited ] || [ "$nproc" -gt "$pid_max" ]; then nproc=$pid_max; fi
  printf '%s\n' '# Written by test/cluster/images/recipes/common.sh' '[containers]' \
    "default_ulimits = [\"nofile=$nofile:$nofile\", \"nproc=$nproc:$nproc\"]" \
    '[engine]' 'runtime = "runc"' >"$CONTAINERS_CONF.$$"
  mv "$CONTAINERS_CONF.$$" "$CONTAINERS_CONF"
  printf '%s\n' '# Written by test/cluster/images/recipes/common.sh' '[storage]' 'driver = "overlay"' \
    "graphroot = \"$IMAGES_CACHE/buildah/root\"" "runroot = \"$IMAGES_CACHE/buildah/run\"" \
    >"$CONTAINERS_STORAGE_CONF.$$"
  mv "$CONTAINERS_STORAGE_CONF.$$" "$CONTAINERS_STORAGE_CONF"
fi
# Working containers of this storage (this build's, or a killed one's) go when the recipe exits.
trap 'buildah rm --all >/dev/null 2>&1 || true' EXIT
buildah rm --all >/dev/null 2>&1 || true
# A commit writes the image as an OCI layout, layers uncompressed: a registry on the same
# machine serves them, and containerd then only unpacks, never gunzips.
commit_options=(--quiet --format oci --disable-compression=true)
