#!/usr/bin/env bash
# registry.k8s.io/coredns/coredns: laid out as upstream's image (coredns/Dockerfile): /coredns
# with the file capability cap_net_bind_service=+ep, so that it binds port 53 as its non-root
# user 65532 (distroless "nonroot") when the pod adds NET_BIND_SERVICE and drops everything else,
# as kubeadm's Deployment does; ENTRYPOINT /coredns, ports 53/udp and 53/tcp. No CA bundle
# (upstream copies Debian's; cluster DNS here never speaks TLS). The binary is
# test/cluster/build.sh's static `coredns`.
#
# Usage: coredns.sh <out> <coredns binary>
source "$(dirname "$0")/common.sh"
out=$1
binary=$2
c=$(buildah from --quiet scratch)
# The capability is an extended attribute (security.capability), set on the file in the
# container's mounted root; buildah's layer diff keeps it, and containerd sets it when it unpacks.
root=$(buildah mount "$c")
install -d -m 0755 "$root/etc"
install -d -m 1777 "$root/tmp"
install -m 0755 "$binary" "$root/coredns"
setcap cap_net_bind_service=+ep "$root/coredns"
printf '%s\n' 'root:x:0:0:root:/root:/sbin/nologin' 'nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin' \
  'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin' >"$root/etc/passwd"
printf '%s\n' 'root:x:0:' 'nobody:x:65534:' 'nonroot:x:65532:' >"$root/etc/group"
buildah umount "$c" >/dev/null
buildah config --user 65532:65532 --workingdir / --port 53/udp --port 53/tcp \
  --entrypoint '["/coredns"]' --cmd '[]' \
  --label org.opencontainers.image.description="CoreDNS, from test/cluster/build.sh" "$c"
buildah commit "${commit_options[@]}" "$c" "oci:$out:image" >/dev/null
