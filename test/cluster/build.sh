#!/usr/bin/env bash
# Builds etcd and the Kubernetes control plane from Go modules into a version-keyed cache
# folder outside the repository, once; later runs reuse the binaries.
# Why a build and not a download: this machine reaches only package registries, and the Go
# module proxy serves both projects as ordinary modules (see ../../../shared/docs/TEST-CLUSTER.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
K8S_VERSION=$(awk '$1=="k8s.io/kubernetes" && $2 ~ /^v/ {print $2; exit}' "$here/k8s/go.mod")
ETCD_VERSION=$(awk '$1=="go.etcd.io/etcd/server/v3" && $2 ~ /^v/ {print $2; exit}' "$here/etcd/go.mod")
CACHE=${GANYMEDE_CLUSTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ganymede/cluster-k8s-$K8S_VERSION-etcd-$ETCD_VERSION}
mkdir -p "$CACHE"
export CGO_ENABLED=0
need() { for b in "$@"; do [ -x "$CACHE/$b" ] || return 0; done; return 1; }
start=$(date +%s)
if need etcd kube-apiserver kube-controller-manager kubectl && ! command -v go >/dev/null; then
  echo "[cluster] Go >= 1.26 is needed once to build the control plane into $CACHE (https://go.dev/dl/)" >&2
  exit 1
fi
if need etcd; then
  echo "[cluster] building etcd $ETCD_VERSION into $CACHE (first time only)" >&2
  (cd "$here/etcd" && go build -trimpath -o "$CACHE/etcd" go.etcd.io/etcd/server/v3)
fi
if need kube-apiserver kube-controller-manager kubectl; then
  echo "[cluster] building Kubernetes $K8S_VERSION into $CACHE (first time only; many minutes on 2 cores)" >&2
  ld="-X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$(echo "$K8S_VERSION" | cut -d. -f2)"
  (cd "$here/k8s" && go build -trimpath -ldflags "$ld" -o "$CACHE/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kubectl)
fi
echo "[cluster] binaries ready in $CACHE ($(( $(date +%s) - start )) s)" >&2
echo "$CACHE"
