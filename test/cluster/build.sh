#!/usr/bin/env bash
# Builds the test cluster's binaries from Go modules into a version-keyed cache folder outside
# the repository, once; later runs reuse them. Prints the folder as its last line of stdout.
#   control plane: etcd, kube-apiserver, kube-controller-manager, kubectl
#   real node:     kubelet, kube-scheduler, kube-proxy (same go build as the control plane),
#                  containerd, containerd-shim-runc-v2, ctr, coredns, pause
# The folder is keyed on the Kubernetes and etcd versions; containerd, CoreDNS and pause are
# checked by the version they report, so bumping one of them rebuilds only that piece.
# Why a build and not a download: this machine reaches only package registries, and the Go
# module proxy serves these projects as ordinary modules (see ../../../shared/docs/TEST-CLUSTER.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# modver GO_MOD MODULE: MODULE's version in GO_MOD's require lines.
modver() { awk -v m="$2" '$1=="require" {$1=""; $0=$0} $1==m && $2 ~ /^v/ {print $2; exit}' "$1"; }
K8S_VERSION=$(modver "$here/k8s/go.mod" k8s.io/kubernetes)
ETCD_VERSION=$(modver "$here/etcd/go.mod" go.etcd.io/etcd/server/v3)
CONTAINERD_VERSION=$(modver "$here/containerd/go.mod" github.com/containerd/containerd/v2)
COREDNS_VERSION=$(modver "$here/coredns/go.mod" github.com/coredns/coredns)
CACHE=${GANYMEDE_CLUSTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ganymede/cluster-k8s-$K8S_VERSION-etcd-$ETCD_VERSION}
mkdir -p "$CACHE"
export CGO_ENABLED=0
start=$(date +%s)

# missing BIN…: the names of those not (executable) in the cache folder.
missing() { for b in "$@"; do [ -x "$CACHE/$b" ] || echo "$b"; done; }
# reports BIN PATTERN ARG…: BIN is in the cache folder and `BIN ARG…` prints a word matching
# the glob PATTERN (its version).
reports() {
  local out
  [ -x "$CACHE/$1" ] && out=$("$CACHE/$1" "${@:3}" 2>&1) || return 1
  out=" ${out//[[:space:]]/ } "
  [[ $out == *" "$2" "* ]]
}

k8s_missing=$(missing kube-apiserver kube-controller-manager kubectl kubelet kube-scheduler kube-proxy)
need_etcd=$(missing etcd)
need_containerd=yes
reports containerd "$CONTAINERD_VERSION" --version && reports containerd-shim-runc-v2 "$CONTAINERD_VERSION" -v &&
  reports ctr "$CONTAINERD_VERSION" --version && need_containerd=
need_coredns=yes
reports coredns "CoreDNS-${COREDNS_VERSION#v}" -version && need_coredns=
# pause reports v<TAG of its Makefile>-<Kubernetes version> (upstream: TAG and git describe).
need_pause=yes
reports pause "v*-$K8S_VERSION" -v && need_pause=

anything=$k8s_missing$need_etcd$need_containerd$need_coredns$need_pause
if [ -n "$anything" ] && ! command -v go >/dev/null; then
  echo "[cluster] Go >= 1.26 is needed once to build the test cluster's binaries into $CACHE (https://go.dev/dl/)" >&2
  exit 1
fi
if [ -n "$need_pause" ] && ! command -v gcc >/dev/null; then
  echo "[cluster] gcc (and libc6-dev) is needed once to build pause into $CACHE; scripts/ensure-system.sh installs them" >&2
  exit 1
fi

# Each build writes into a fresh folder inside the cache folder, then moves the binaries in:
# an interrupted build leaves no half-written binary behind.
if [ -n "$anything" ]; then
  tmp=$(mktemp -d "$CACHE/.build.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
fi
install_built() { for b in "$@"; do mv -f "$tmp/$b" "$CACHE/$b"; done; }

if [ -n "$need_etcd" ]; then
  echo "[cluster] building etcd $ETCD_VERSION into $CACHE (first time only)" >&2
  (cd "$here/etcd" && go build -trimpath -o "$tmp/etcd" go.etcd.io/etcd/server/v3)
  install_built etcd
fi
if [ -n "$k8s_missing" ]; then
  # One go build for every Kubernetes binary: they share nearly all packages.
  echo "[cluster] building Kubernetes $K8S_VERSION ($(echo $k8s_missing)) into $CACHE (first time only; many minutes on 2 cores with a cold Go build cache)" >&2
  ld="-X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$(echo "$K8S_VERSION" | cut -d. -f2)"
  pkgs=()
  for b in $k8s_missing; do pkgs+=("k8s.io/kubernetes/cmd/$b"); done
  (cd "$here/k8s" && go build -trimpath -ldflags "$ld" -o "$tmp/" "${pkgs[@]}")
  install_built $k8s_missing
fi
if [ -n "$need_containerd" ]; then
  echo "[cluster] building containerd $CONTAINERD_VERSION into $CACHE (first time only; a minute or two)" >&2
  # Without cgo: no btrfs/devmapper/zfs snapshotters (they need C headers); overlayfs and native stay.
  (cd "$here/containerd" && go build -trimpath -tags 'no_btrfs no_devmapper no_zfs' \
    -ldflags "-X github.com/containerd/containerd/v2/version.Version=$CONTAINERD_VERSION" -o "$tmp/" \
    github.com/containerd/containerd/v2/cmd/containerd \
    github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2 \
    github.com/containerd/containerd/v2/cmd/ctr)
  install_built containerd containerd-shim-runc-v2 ctr
fi
if [ -n "$need_coredns" ]; then
  echo "[cluster] building CoreDNS $COREDNS_VERSION into $CACHE (first time only)" >&2
  (cd "$here/coredns" && go build -trimpath -buildvcs=false -o "$tmp/coredns" .)
  install_built coredns
fi
if [ -n "$need_pause" ]; then
  # The pod sandbox's init process, from the same k8s.io/kubernetes module as the kubelet;
  # built as upstream's build/pause/Makefile does (static, stripped).
  kdir=$(cd "$here/k8s" && go mod download k8s.io/kubernetes && go list -m -f '{{.Dir}}' k8s.io/kubernetes)
  tag=$(awk '$1=="TAG" && $2=="?=" {print $3; exit}' "$kdir/build/pause/Makefile")
  echo "[cluster] building pause $tag (Kubernetes $K8S_VERSION) into $CACHE" >&2
  gcc -Os -Wall -Werror -static -s -DVERSION="v$tag-$K8S_VERSION" -o "$tmp/pause" "$kdir/build/pause/linux/pause.c"
  install_built pause
fi
echo "[cluster] binaries ready in $CACHE ($(( $(date +%s) - start )) s)" >&2
echo "$CACHE"
