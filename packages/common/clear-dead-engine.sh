#!/bin/sh
# micado packages: before a machine's engine (a node's, the manager's) starts again
# after a crash or a reboot, clear the run-time files the dead engine left in ROOT
# (ROOT/dockerd.pid, and the exec-root ROOT/run with its containerd's pid file): a new
# engine refuses to start over the one, and waits for a gone containerd over the other.
# A file is stale when its process is gone (or a zombie) or it was written before this
# boot (a pid may be reused after a reboot). A live engine's files are left alone; data (the
# swarm's state, images, volumes) is never touched.
#
#   clear-dead-engine.sh ROOT
set -eu
root=${1:?usage: clear-dead-engine.sh ROOT}
booted=$(awk '/^btime / {print $2}' /proc/stat)
stale() {
  [ -f "$1" ] || return 1
  [ "$(stat -c %Y "$1")" -ge "$booted" ] || return 0
  pid=$(cat "$1" 2>/dev/null) || return 0
  case "$pid" in '' | *[!0-9]*) return 0 ;; esac
  # Gone, or dead and not yet reaped by its parent (a zombie, state Z).
  [ -r "/proc/$pid/stat" ] || return 0
  [ "$(sed 's/.*) //' "/proc/$pid/stat" | cut -d ' ' -f 1)" = Z ]
}
if stale "$root/dockerd.pid"; then rm -f "$root/dockerd.pid"; fi
# The exec-root holds run-time state only (sockets, the containerd's pid file, the
# network namespaces' mount points, still mounted after a crash: unmounted first).
if stale "$root/run/containerd/containerd.pid"; then
  awk -v under="$root/run/" 'index($2, under) == 1 {print $2}' /proc/self/mounts | sort -r |
    while read -r mount; do umount -l "$mount" 2>/dev/null || true; done
  rm -rf "$root/run"
fi
