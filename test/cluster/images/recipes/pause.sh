#!/usr/bin/env bash
# registry.k8s.io/pause: the pod sandbox's init process, laid out as upstream's image
# (kubernetes build/pause/Dockerfile): FROM scratch, /pause, USER 65535:65535, ENTRYPOINT /pause.
# The binary is test/cluster/build.sh's static `pause`.
#
# Usage: pause.sh <out> <pause binary>
source "$(dirname "$0")/common.sh"
out=$1
binary=$2
c=$(buildah from --quiet scratch)
buildah copy --quiet --chmod 0755 "$c" "$binary" /pause >/dev/null
buildah config --user 65535:65535 --entrypoint '["/pause"]' --cmd '[]' \
  --label org.opencontainers.image.description="pause, from test/cluster/build.sh" "$c"
buildah commit "${commit_options[@]}" "$c" "oci:$out:image" >/dev/null
