#!/usr/bin/env bash
# The files of the busybox-based images (busybox.sh, http-server.sh), as Docker Hub's busybox has
# them, in <dir>/rootfs (owned by root) and <dir>/jovyan (to be owned by 1000:100):
# Debian's static busybox (package busybox-static) as /bin/busybox, an /etc/passwd with root,
# nobody and jovyan (uid 1000, group users 100, home /home/jovyan), /tmp (1777). The recipe
# then links the applets into /bin by running `busybox --install -s /bin` in the image.
#
# Usage: busybox-root.sh <dir>
set -euo pipefail
dir=$1
install -d -m 0755 "$dir/rootfs/bin" "$dir/rootfs/etc" "$dir/rootfs/home" "$dir/jovyan"
install -d -m 0700 "$dir/rootfs/root"
install -d -m 1777 "$dir/rootfs/tmp"
install -m 0755 "$(command -v busybox)" "$dir/rootfs/bin/busybox"
printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'nobody:x:65534:65534:nobody:/home:/bin/false' \
  'jovyan:x:1000:100::/home/jovyan:/bin/sh' >"$dir/rootfs/etc/passwd"
printf '%s\n' 'root:x:0:' 'users:x:100:' 'nogroup:x:65534:' >"$dir/rootfs/etc/group"
