#!/usr/bin/env bash
# Installs what micado needs on a Debian host (idempotent): the Docker engine, the
# registry, static busybox, iproute2, openssl (the cluster CA), curl (a node's join), and
# nginx with its Lua module (the proxy) from Debian, and what tests drive it with (the
# Consul client, Prometheus, wrk, Python's requests as another CloudBroker client,
# Chromium), then the npm packages, then a build.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-host: run as root (sudo bash scripts/setup-host.sh)" >&2
  exit 1
fi

packages=(docker.io docker-registry busybox-static iproute2 iptables e2fsprogs util-linux mount openssl curl nginx libnginx-mod-http-lua python3-consul python3-requests prometheus wrk chromium)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup-host: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >/tmp/micado-apt.log 2>&1; then
    echo "setup-host: apt-get could not install ${missing[*]}; see /tmp/micado-apt.log" >&2
    exit 1
  fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup-host: installing npm packages"
  # npm ci: exactly the lock, which it never rewrites, so a fresh clone stays unmodified.
  # The lock lists every platform's optional binaries (rollup's), as npm writes it.
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
