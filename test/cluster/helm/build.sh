#!/usr/bin/env bash
# Builds helm from its Go module into a version-keyed cache folder outside the repository,
# once; later runs reuse the binary, and print its path. Why a build and not a download: this
# machine reaches only package registries, and the Go module proxy serves helm as a module
# (the same approach as ../build.sh for the control plane).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
HELM_VERSION=$(awk '$1=="helm.sh/helm/v4" && $2 ~ /^v/ {print $2; exit}' "$here/go.mod")
CACHE=${GANYMEDE_HELM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ganymede/helm-$HELM_VERSION}
mkdir -p "$CACHE"
if [ ! -x "$CACHE/helm" ]; then
  echo "[helm] building helm $HELM_VERSION into $CACHE (first time only; minutes on 2 cores)" >&2
  start=$(date +%s)
  # Version stamped as helm's Makefile does, or `helm version` reports a bare "v4.x".
  (cd "$here" && CGO_ENABLED=0 go build -trimpath \
    -ldflags "-X helm.sh/helm/v4/internal/version.version=$HELM_VERSION -X helm.sh/helm/v4/internal/version.gitTreeState=clean" \
    -o "$CACHE/helm.partial" helm.sh/helm/v4/cmd/helm)
  mv "$CACHE/helm.partial" "$CACHE/helm"
  echo "[helm] built in $(( $(date +%s) - start )) s" >&2
fi
echo "$CACHE/helm"
