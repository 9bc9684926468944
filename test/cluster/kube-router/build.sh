#!/usr/bin/env bash
# Builds kube-router from its Go module into a version-keyed cache folder outside the repository,
# once; later runs reuse the binary, and print its path. The real node runs only its network
# policy controller (--run-firewall, no routing, no service proxy), to enforce NetworkPolicies on
# the CNI bridge. Why a build and not a download: this machine reaches only package registries,
# and the Go module proxy serves kube-router as a module (the same approach as ../build.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
KUBE_ROUTER_VERSION=$(awk '$1=="github.com/cloudnativelabs/kube-router/v2" && $2 ~ /^v/ {print $2; exit}' "$here/go.mod")
CACHE=${GANYMEDE_KUBE_ROUTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ganymede/kube-router-$KUBE_ROUTER_VERSION}
mkdir -p "$CACHE"
if [ ! -x "$CACHE/kube-router" ]; then
  if ! command -v go >/dev/null; then
    echo "[kube-router] Go >= 1.26 is needed once to build kube-router into $CACHE (https://go.dev/dl/)" >&2
    exit 1
  fi
  echo "[kube-router] building kube-router $KUBE_ROUTER_VERSION into $CACHE (first time only; minutes on 2 cores)" >&2
  start=$(date +%s)
  # Version stamped as kube-router's Makefile does, or `kube-router --version` reports an empty
  # version and build date.
  pkg=github.com/cloudnativelabs/kube-router/v2
  (cd "$here" && CGO_ENABLED=0 go build -trimpath \
    -ldflags "-X $pkg/pkg/version.Version=$KUBE_ROUTER_VERSION -X $pkg/pkg/version.BuildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    -o "$CACHE/kube-router.partial" "$pkg/cmd/kube-router")
  mv "$CACHE/kube-router.partial" "$CACHE/kube-router"
  echo "[kube-router] built in $(( $(date +%s) - start )) s" >&2
fi
echo "$CACHE/kube-router"
