#!/bin/sh
# micado node: bakes what a node needs into a cloud image (run once, as root, when the
# image is made; execute.sh boots it later). Idempotent: Debian's packages only, and
# only those missing; a second run changes nothing.
set -eu
me=deploy.sh
needed="docker.io iproute2 hostname"
missing=""
for package in $needed; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing="$missing $package"
done
if [ -z "$missing" ]; then
  echo "$me: $needed already installed"
else
  [ "$(id -u)" -eq 0 ] || { echo "$me: run as root to install$missing" >&2; exit 1; }
  echo "$me: installing$missing"
  export DEBIAN_FRONTEND=noninteractive
  # shellcheck disable=SC2086 # one word per package
  apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing
fi
# execute.sh runs the node's engine with a configuration of its own (its own data
# root, socket and TLS): the image should not also start the distribution's
# docker.service on the swarm's ports.
echo "$me: the node package is ready; boot with execute.sh (see README.md)"
