#!/bin/sh
# micado manager: boots the manager of a cluster on this machine (a cloud VM, from its
# contextualisation). It puts `micado` on PATH, starts an engine of its own unless told
# to use the machine's (--engine), writes micado's configuration unless there is one,
# and runs `micado up` on that engine: the swarm, the private registry and the manager
# daemon, advertised at the machine's address. On any failure it says why in one line,
# stops the engine it started, and exits non-zero.
#
#   execute.sh [--address ADDRESS] [--engine unix:///PATH] [--root DIR]
#              [--config FILE] [--bin-dir DIR] [--registry-port PORT] [--ready-timeout S]
#
# --root (default /var/lib/micado) holds micado's state (state/) and the engine's
# (engine/); --config (default /etc/micado/config.json) is written only if absent, with
# no pools: add the cloud's pools (see packages/manager/cloudsetup.xml.example).
#
# What runs is two services (common/service-units.sh): micado-engine, the package's
# engine, and micado-manager, `micado up` on it (the swarm, the registry and the manager
# daemon, whose pid systemd follows). On a machine booted by systemd both are enabled
# and started through systemd, which starts them again after a crash or a reboot (up
# finds what still runs and brings back the rest). Elsewhere they are started here, and
# the units are written to ROOT/systemd all the same.
set -eu

me=execute.sh
say() { echo "$me: $*" >&2; }
usage() { say "$1 (usage: $me [--address ADDRESS] [--engine unix:///PATH] [--root DIR] [--config FILE] [--bin-dir DIR])"; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
# Packed beside this script; in a checkout, in packages/common.
common=$here
[ -r "$common/service-units.sh" ] || common=$here/../common
. "$common/service-units.sh"

address='' engine='' root=/var/lib/micado config=/etc/micado/config.json
bin_dir=/usr/local/bin registry_port=5000 ready_timeout=60
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || usage "$1 needs a value"
  case "$2" in *'"'* | *'\'*) usage "$1 holds a quote or a backslash" ;; esac
  case "$1" in
    --address) address=$2 ;;
    --engine) engine=$2 ;;
    --root) root=$2 ;;
    --config) config=$2 ;;
    --bin-dir) bin_dir=$2 ;;
    --registry-port) registry_port=$2 ;;
    --ready-timeout) ready_timeout=$2 ;;
    *) usage "unknown parameter $1" ;;
  esac
  shift 2
done
case "$engine" in '' | unix:///*) ;; *) usage "--engine must be unix:///PATH, got '$engine'" ;; esac

# The package's own Node.js (runtime/node), else the machine's; micado's native store
# was built for one Node.js ABI, and a node of another cannot load it.
node=$here/runtime/node
[ -x "$node" ] || node=$(command -v node) || { say "Node.js is missing: the package carries runtime/node; repack it, or install Node.js $(cat "$here/micado/NODE_ABI" 2>/dev/null)"; exit 1; }
packed=$(cat "$here/micado/NODE_ABI")
have=$("$node" -p process.versions.modules) || { say "$node does not run on this machine"; exit 1; }
[ "$have" = "$packed" ] || {
  say "micado was packed for Node.js ABI $packed, $node ($("$node" -v)) is ABI $have: pack it with this Node.js"
  exit 1
}
[ -n "$address" ] || address=$(hostname -I 2>/dev/null | awk '{print $1}')
[ -n "$address" ] || { say "cannot tell this machine's address: pass --address"; exit 1; }

# micado on PATH, run by the package's Node.js whatever node PATH holds.
mkdir -p "$bin_dir"
rm -f "$bin_dir/micado"
printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$node" "$here/micado/dist/bin/micado.js" > "$bin_dir/micado.$$"
chmod 755 "$bin_dir/micado.$$"
mv "$bin_dir/micado.$$" "$bin_dir/micado"

# The engine: the machine's own when told, else one of the package's. Either trusts
# the registry through /etc/docker/certs.d, which micado up writes with the cluster's CA.
mkdir -p "$root"
chmod 700 "$root"
units=$(units_dir "$root")
started='' after=docker.service requires=''
if [ -z "$engine" ]; then
  dir="$root/engine"
  mkdir -p "$dir"
  chmod 700 "$dir"
  cat > "$dir/daemon.json" <<JSON
{
  "data-root": "$dir/data",
  "exec-root": "$dir/run",
  "pidfile": "$dir/dockerd.pid",
  "hosts": ["unix://$dir/docker.sock"],
  "iptables": false,
  "ip-masq": false,
  "shutdown-timeout": 5,
  "log-level": "warn"
}
JSON
  dockerd=$(command -v dockerd) || { say "dockerd is not installed: run deploy.sh"; exit 1; }
  engine_unit "$units" micado-engine.service \
    "micado manager's Docker engine: the swarm's manager and its registry's host" \
    "$dockerd" "$dir/daemon.json" "$common/clear-dead-engine.sh $dir"
  after=micado-engine.service requires=micado-engine.service
  engine="unix://$dir/docker.sock"
  "$common/clear-dead-engine.sh" "$dir"
  if systemd_booted; then
    # The distribution's engine would take docker0 and the default socket.
    retire_unit docker.service docker.socket
    enable_unit micado-engine.service || { say "systemd did not start micado-engine.service"; exit 1; }
  else
    dockerd --config-file "$dir/daemon.json" </dev/null >>"$dir/dockerd.log" 2>&1 &
    started=$!
  fi
  waited=0
  until docker -H "$engine" version >/dev/null 2>&1; do
    if [ -n "$started" ]; then
      kill -0 "$started" 2>/dev/null || { say "dockerd exited: $(tail -n 1 "$dir/dockerd.log")"; exit 1; }
    elif systemctl is-failed --quiet micado-engine.service; then
      say "micado-engine.service failed: $(journalctl -u micado-engine.service -n 1 -o cat 2>/dev/null)"
      exit 1
    fi
    waited=$((waited + 1))
    [ "$waited" -le $((ready_timeout * 20)) ] ||
      { [ -z "$started" ] || kill "$started"; say "dockerd did not answer within $ready_timeout s; see $dir/dockerd.log"; exit 1; }
    sleep 0.05
  done
fi

# The configuration, once: the operator's own is never overwritten.
if [ ! -e "$config" ]; then
  mkdir -p "$(dirname "$config")"
  (umask 077 && printf '{\n  "stateDir": "%s",\n  "registry": { "port": %s },\n  "pools": {}\n}\n' \
    "$root/state" "$registry_port" > "$config")
fi

# The manager's service: micado up, which systemd runs again after the daemon dies or
# the machine boots; it follows the daemon by the pid up writes.
pid_file=$root/micado-manager.pid
write_unit "$units" micado-manager.service <<UNIT
[Unit]
Description=micado manager: the swarm, the private registry, the catalog and the autoscaler
Wants=network-online.target
After=network-online.target $after
${requires:+Requires=$requires}

[Service]
Type=forking
Environment="MICADO_CONFIG=$config" "MICADO_MANAGER_ENGINE=$engine" "MICADO_ADVERTISE=$address" "MICADO_MANAGER_PID_FILE=$pid_file"
ExecStart=$bin_dir/micado up
PIDFile=$pid_file
Restart=on-failure
RestartSec=5
TimeoutStartSec=600

[Install]
WantedBy=multi-user.target
UNIT
if systemd_booted; then
  systemctl daemon-reload && systemctl enable --quiet micado-manager.service
  if ! systemctl start micado-manager.service; then
    say "micado up failed: $(journalctl -u micado-manager.service -n 1 -o cat 2>/dev/null)"
    exit 1
  fi
  out=$(systemctl status --no-pager -n 0 micado-manager.service | head -n 3)
elif ! out=$(MICADO_CONFIG=$config MICADO_MANAGER_ENGINE=$engine MICADO_ADVERTISE=$address \
  MICADO_MANAGER_PID_FILE=$pid_file "$bin_dir/micado" up 2>&1); then
  say "micado up failed: $(printf '%s' "$out" | tail -n 1)"
  [ -z "$started" ] || kill "$started" 2>/dev/null || true
  exit 1
fi
printf '%s\n' "$out"
echo "$me: the manager is up at $address (engine $engine); micado is $bin_dir/micado"
