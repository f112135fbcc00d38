#!/bin/sh
# micado node: bakes what a node needs into a cloud image (run once, as root, when the
# image is made; execute.sh boots it later). Idempotent: Debian's packages only, and
# only those missing; a second run changes nothing.
set -eu
here=$(dirname "$0")
"$here/install-missing.sh" deploy.sh docker.io iptables iproute2 hostname openssl curl
# execute.sh runs the node's engine with a configuration of its own (its own data
# root, socket and TLS): the image should not also start the distribution's
# docker.service on the swarm's ports.
echo "deploy.sh: the node package is ready; boot with execute.sh (see README.md)"
