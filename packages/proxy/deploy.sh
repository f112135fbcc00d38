#!/bin/sh
# micado proxy: bakes what a proxy node needs into a cloud image (run once, as root):
# a node's packages, Debian's nginx with its Lua module (the routes' balancer), and
# Node.js for the route agent. Idempotent, as the node package's.
set -eu
here=$(dirname "$0")
"$here/install-missing.sh" deploy.sh docker.io iptables iproute2 hostname openssl curl nginx \
  libnginx-mod-http-lua
echo "deploy.sh: the proxy package is ready; boot with execute.sh (see README.md)"
