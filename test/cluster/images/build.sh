#!/usr/bin/env bash
# Builds the images a real test node runs (test/cluster/images/images.ts says which and how
# they are named and cached), as root, once; later runs only compare hashes. Prints one line
# per image (`<OCI layout> <digest> <reference>…`), then `seed <registry storage folder>`.
#
# Usage: test/cluster/images/build.sh [<binaries folder from test/cluster/build.sh>]
# Without the folder (argument or GANYMEDE_CLUSTER_BIN), pause and CoreDNS are left out.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
"$root/scripts/ensure-system.sh" test
node_bin=$("$root/scripts/ensure-node.sh")
exec "$node_bin" "$here/build-images.ts" "$@"
