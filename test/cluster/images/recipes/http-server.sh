#!/usr/bin/env bash
# ganymede.test/http-server: the image twin of test/cluster/images/http-server.ts (which the node
# agent runs for that name), for a real node: the busybox image's files (busybox-root.sh) plus
# /usr/local/bin/http-server (busybox nc as the listener, one http-handler per connection).
# Runs as 1000:100 in /home/jovyan; listens on $PORT, else its first argument, else 8080; exits
# at once on SIGTERM (busybox httpd or nc as PID 1 would ignore it).
#
# Usage: http-server.sh <out>
source "$(dirname "$0")/common.sh"
out=$1
files=$(mktemp -d)
trap 'buildah rm --all >/dev/null 2>&1 || true; rm -rf "$files"' EXIT
bash "$recipes/busybox-root.sh" "$files"
c=$(buildah from --quiet scratch)
buildah copy --quiet "$c" "$files/rootfs" / >/dev/null
buildah copy --quiet --chown 1000:100 "$c" "$files/jovyan" /home/jovyan >/dev/null
buildah run --isolation chroot "$c" -- /bin/busybox --install -s /bin
buildah copy --quiet --chmod 0755 "$c" "$recipes/http-server/http-server" \
  "$recipes/http-server/http-handler" /usr/local/bin/ >/dev/null
buildah config --user 1000:100 --workingdir /home/jovyan \
  --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --port 8080/tcp \
  --entrypoint '["/usr/local/bin/http-server"]' --cmd '[]' \
  --label org.opencontainers.image.description="HTTP test server (busybox), as user 1000:100" "$c"
buildah commit "${commit_options[@]}" "$c" "oci:$out:image" >/dev/null
