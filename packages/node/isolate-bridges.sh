#!/bin/sh
# micado node: containers on a node never reach one another across its bridges. A
# client's containers reach their own over the client's overlay network, and everyone's
# only through the ports they publish. The engine runs without iptables (a node needs
# no NAT), so the rule that keeps a bridge's containers apart (what the engine's
# icc=false would add) is ours; bridged frames pass iptables through br_netfilter.
# The kernel forgets both at a reboot: execute.sh runs this at the first boot, and the
# node's engine service before each start. Idempotent.
set -eu
nf=/proc/sys/net/bridge/bridge-nf-call-iptables
[ -e "$nf" ] || modprobe br_netfilter 2>/dev/null || true
[ -e "$nf" ] || { echo "the kernel has no br_netfilter" >&2; exit 1; }
[ "$(cat "$nf")" = 1 ] || echo 1 >"$nf"
for bridge in docker0 docker_gwbridge; do
  iptables -C FORWARD -i "$bridge" -o "$bridge" -j DROP 2>/dev/null ||
    iptables -I FORWARD -i "$bridge" -o "$bridge" -j DROP
done
