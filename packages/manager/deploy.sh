#!/bin/sh
# micado manager: bakes what the manager needs into a cloud image (run once, as root):
# the Docker engine, the registry, Node.js for micado, and what micado runs (ip,
# nsenter, openssl for the cluster's CA, busybox for the base image). Debian's
# packages only, those missing only: a second run changes nothing.
set -eu
here=$(dirname "$0")
"$here/install-missing.sh" deploy.sh docker.io docker-registry iproute2 util-linux mount e2fsprogs \
  openssl busybox-static
echo "deploy.sh: the manager package is ready; boot with execute.sh (see README.md)"
