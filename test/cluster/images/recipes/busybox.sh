#!/usr/bin/env bash
# docker.io/library/busybox: Debian's static busybox with every applet linked in /bin
# (busybox-root.sh), run as jovyan, 1000:100, in /home/jovyan (Docker Hub's busybox runs as
# root; tests here mostly run as 1000), `sh` as its command. Memory tests allocate real memory
# with `dd if=/dev/zero of=/dev/null bs=200M count=1` (dd reads into a buffer of bs bytes, so
# every page of it is touched).
#
# Usage: busybox.sh <out>
source "$(dirname "$0")/common.sh"
out=$1
files=$(mktemp -d)
trap 'buildah rm --all >/dev/null 2>&1 || true; rm -rf "$files"' EXIT
bash "$recipes/busybox-root.sh" "$files"
c=$(buildah from --quiet scratch)
# `buildah copy` gives every file the owner it is told (root unless --chown), and keeps modes.
buildah copy --quiet "$c" "$files/rootfs" / >/dev/null
buildah copy --quiet --chown 1000:100 "$c" "$files/jovyan" /home/jovyan >/dev/null
buildah run --isolation chroot "$c" -- /bin/busybox --install -s /bin
buildah config --user 1000:100 --workingdir /home/jovyan \
  --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd '["sh"]' \
  --label org.opencontainers.image.description="Debian's busybox-static, as user 1000:100" "$c"
buildah commit "${commit_options[@]}" "$c" "oci:$out:image" >/dev/null
