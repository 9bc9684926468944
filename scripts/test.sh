#!/usr/bin/env bash
# `npm test`: the whole suite, in tiers. Installs what each tier needs; under CI=true no tier
# may skip, so a missing component fails loudly instead.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
node_bin=$(scripts/ensure-node.sh)
export PATH="$(dirname "$node_bin"):$root/node_modules/.bin:$PATH"
scripts/ensure-deps.sh
# Every Debian package any tier needs, in one apt-get run (scripts/system-packages.txt).
scripts/ensure-system.sh start test
GANYMEDE_JUPYTER=$(scripts/ensure-jupyter.sh); export GANYMEDE_JUPYTER
step() { echo; echo "=== $* ==="; }
step "static checks"; tsc --noEmit -p . && eslint . && prettier --check . >/dev/null
step "unit tests"; node --test --test-concurrency=2 'src/**/*.test.ts' 'test/cluster/**/*.test.ts' 'scripts/**/*.test.ts' 'bench/**/*.test.ts'
if [ "${SKIP_CLUSTER:-}" = 1 ] && [ "${CI:-}" = true ]; then
  echo "SKIP_CLUSTER=1 is not allowed under CI=true: the cluster tier never skips there" >&2; exit 1
fi
if [ "${SKIP_CLUSTER:-}" != 1 ]; then
  step "control plane binaries"
  if [ "$(id -u)" != 0 ]; then
    echo "the cluster tier must run as root (network namespaces, runAsUser)" >&2; exit 1
  fi
  GANYMEDE_CLUSTER_BIN=$(test/cluster/build.sh); export GANYMEDE_CLUSTER_BIN
  test/cluster/kube-router/build.sh >/dev/null   # NetworkPolicy on the real node
fi
step "integration tests"; node --test --test-concurrency=1 --test-timeout=900000 'test/integration/**/*.test.ts'
if [ -f scripts/ensure-browser.sh ]; then
  GANYMEDE_CHROMIUM=$(scripts/ensure-browser.sh); export GANYMEDE_CHROMIUM
  step "browser tests"; node --test --test-concurrency=1 --test-timeout=600000 'test/browser/**/*.test.ts'
fi
