#!/usr/bin/env bash
# Sets everything up on a fresh Debian host and runs micado's main job on the embedded
# default: a local cluster (manager, private registry, base image) and a worker node.
# Idempotent: a second run finds the cluster and the node already there.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-host.sh
micado() { node dist/bin/micado.js "$@"; }

micado up
if ! micado status --json | grep -q '"tag": "demo01"'; then
  micado start --cloud local --flavour small --tag demo01 --name application
fi
micado status
echo
echo "The cluster stays up. Take it down with: node dist/bin/micado.js down"
