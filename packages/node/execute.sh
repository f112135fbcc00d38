#!/bin/sh
# micado node: boots a node and joins it to the cluster's swarm. One boot path for
# every node: a cloud VM runs it from its contextualisation (CloudBroker passes the
# parameters of the node application), and micado's local driver runs it inside a
# new node's namespaces. It writes the engine's configuration (capacity as generic
# resources, labels, registry trust, TLS), starts dockerd, waits for it, and joins.
# On any failure it says why in one line, stops the engine it started, and exits
# non-zero: nothing is left half-joined.
#
#   execute.sh --manager HOST:2377 (--token TOKEN | --token-file FILE)
#              --registry HOST:PORT --instance ID
#              --pool POOL --flavour FLAVOUR (--tls BUNDLE | --tls-file FILE | --tls-dir DIR)
#              [--tag TAG]
#              [--role worker|proxy] [--address ADDRESS] [--cpus N] [--memory-mb MB]
#              [--label KEY=VALUE]... [--catalog URL] [--catalog-token-file FILE]
#              [--boot CODE --ca CA --catalog https://HOST:PORT]   (instead of the token and --tls)
#              [--root DIR] [--cgroup-parent PATH] [--ready-timeout SECONDS]
#
# The engine's certificate comes as --tls (the cluster's CA, the node's certificate
# and its key, one after the other, base64: one word, as a cloud's job passes it) or
# as --tls-dir, a directory holding ca.pem, cert.pem and key.pem, or as --tls-file, a
# file (mode 600) holding the --tls bundle, so the key is on no command line. The engine listens
# on ADDRESS:2376 with --tlsverify, answering only clients of the cluster's CA. A
# parameter followed by another (a template's empty {tag}) counts as empty. A proxy
# (--role proxy, the proxy package) advertises no capacity: nothing is placed on it.
# --catalog (the manager's catalog, http://HOST:8500) is for what runs beside the engine
# (the proxy's route agent); a worker needs none. --token-file names a file (mode 600)
# holding the join token, so the token is on no command line: it is read, and the file
# removed once the node has joined. --catalog-token-file names a file (mode 600) with the
# read token an https catalog asks: it is moved to ROOT/catalog/token, beside the
# cluster's CA as ROOT/catalog/ca.pem, for the route agent of a proxy. --boot names a
# one-time code for the join token, the --tls bundle and the catalog's read token (a
# CloudBroker job's arguments, which the platform keeps, carry it instead of them): they
# are fetched once from the catalog, over TLS checked against --ca (the cluster's CA,
# base64; public), and the code is dead after.
#
# The engine is the service micado-node (common/service-units.sh): on a machine booted
# by systemd it is enabled and started through systemd, which restarts it after a crash
# and starts it at every boot, when it rejoins the swarm as the same node from its own
# state (the join is once). Elsewhere it is started here, and the unit is written to
# ROOT/systemd all the same.
set -eu

me=execute.sh
say() { echo "$me: $*" >&2; }
here=$(cd "$(dirname "$0")" && pwd)
# Packed beside this script; in a checkout, in packages/common.
common=$here
[ -r "$common/service-units.sh" ] || common=$here/../common
. "$common/service-units.sh"
usage() { say "$1 (usage: $me --manager HOST:PORT --token TOKEN --registry HOST:PORT --instance ID --pool POOL --flavour FLAVOUR ...)"; exit 2; }

manager='' token='' token_file='' catalog_token_file='' boot='' ca='' registry='' instance='' pool='' flavour='' tag='' address=''
cpus='' memory_mb='' tls='' tls_dir='' tls_file='' root=/var/lib/micado-node cgroup_parent=''
ready_timeout=30 labels='' role=worker catalog=''
while [ $# -gt 0 ]; do
  name=$1 value=''
  shift
  # A parameter followed by another, or by nothing, is empty (a template's empty {tag}).
  case "${1---}" in --*) ;; *) value=$1 && shift ;; esac
  # Values go into JSON as they are: none may hold a quote or a backslash.
  case "$value" in *'"'* | *'\'*) usage "$name holds a quote or a backslash" ;; esac
  case "$name" in
    --manager) manager=$value ;;
    --token) token=$value ;;
    --token-file) token_file=$value ;;
    --catalog-token-file) catalog_token_file=$value ;;
    --boot) boot=$value ;;
    --ca) ca=$value ;;
    --registry) registry=$value ;;
    --instance) instance=$value ;;
    --pool) pool=$value ;;
    --flavour) flavour=$value ;;
    --tag) tag=$value ;;
    --role) role=$value ;;
    --catalog) catalog=$value ;;
    --address) address=$value ;;
    --cpus) cpus=$value ;;
    --memory-mb) memory_mb=$value ;;
    --tls) tls=$value ;;
    --tls-dir) tls_dir=$value ;;
    --tls-file) tls_file=$value ;;
    --label) labels="$labels
$value" ;;
    --root) root=$value ;;
    --cgroup-parent) cgroup_parent=$value ;;
    --ready-timeout) ready_timeout=$value ;;
    *) usage "unknown parameter $name" ;;
  esac
done

if [ -n "$tls_file" ]; then
  tls=$(cat "$tls_file" 2>/dev/null) || usage "--tls-file $tls_file cannot be read"
fi
if [ -n "$token_file" ]; then
  token=$(cat "$token_file" 2>/dev/null) || usage "--token-file $token_file cannot be read"
fi
if [ -n "$boot" ]; then
  case "$catalog" in https://*) ;; *) usage "--boot needs --catalog https://HOST:PORT, the catalog it is fetched from" ;; esac
  [ -n "$ca" ] || usage "--boot needs --ca, the cluster's CA the catalog's certificate comes from"
  case "$boot" in *[!A-Za-z0-9_-]*) usage "--boot is not a boot code" ;; esac
  mkdir -p "$root" && chmod 700 "$root"
  printf '%s' "$ca" | base64 -d >"$root/boot-ca.pem" 2>/dev/null || usage "--ca is not base64"
  secrets=$(curl -sS -f --max-time 30 --cacert "$root/boot-ca.pem" "$catalog/v1/micado/boot/$boot" 2>&1) ||
    { say "the boot secrets could not be fetched from $catalog: $(printf '%s' "$secrets" | tail -n 1)"; exit 1; }
  token=$(printf '%s\n' "$secrets" | sed -n 1p)
  tls=$(printf '%s\n' "$secrets" | sed -n 2p)
  # The catalog's read token, when the manager gave one: kept as --catalog-token-file would.
  read_token=$(printf '%s\n' "$secrets" | sed -n 3p)
  if [ -n "$read_token" ] && [ -z "$catalog_token_file" ]; then
    catalog_token_file="$root/catalog-token.$$"
    (umask 077 && printf '%s\n' "$read_token" >"$catalog_token_file")
  fi
fi
for name in manager token registry instance pool flavour; do
  eval "value=\$$name"
  [ -n "$value" ] || usage "--$name is missing"
done
case "$manager" in *:*) ;; *) usage "--manager must be HOST:PORT, got '$manager'" ;; esac
case "$registry" in *:*) ;; *) usage "--registry must be HOST:PORT, got '$registry'" ;; esac
case "$instance" in *[!a-z0-9-]*|'') usage "--instance must be lower-case letters, digits and -" ;; esac
case "$token" in SWMTKN-*) ;; *) usage "--token is not a swarm join token" ;; esac
[ -n "$tls$tls_dir" ] || usage "--tls (or --tls-dir) is missing"
case "$role" in worker | proxy) ;; *) usage "--role must be worker or proxy, got '$role'" ;; esac

# What this machine is: its address, and its size unless told.
[ -n "$address" ] || address=$(hostname -I 2>/dev/null | awk '{print $1}')
[ -n "$address" ] || { say "cannot tell this machine's address: pass --address"; exit 1; }
[ -n "$cpus" ] || cpus=$(nproc)
[ -n "$memory_mb" ] || memory_mb=$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo)
case "$cpus" in
  *[!0-9]* | '') cpu_milli=$(awk -v c="$cpus" 'BEGIN {printf "%d", c * 1000 + 0.5}') ;;
  *) cpu_milli=$((cpus * 1000)) ;;
esac


mkdir -p "$root"
chmod 700 "$root"
socket="$root/docker.sock"

# The engine's certificate: unpacked from --tls into the root (the key mode 600), then
# checked before the join: issued by the CA it came with, for this instance, and not
# expired. A node the manager could not reach never joins.
if [ -n "$tls" ]; then
  tls_dir="$root/tls"
  mkdir -p "$tls_dir"
  chmod 700 "$tls_dir"
  (umask 077 && printf '%s' "$tls" | base64 -d 2>/dev/null | awk -v dir="$tls_dir" '
    /^-----BEGIN / { n++ }
    n == 1 { print > (dir "/ca.pem") }
    n == 2 { print > (dir "/cert.pem") }
    n == 3 { print > (dir "/key.pem") }
    END { exit n == 3 ? 0 : 1 }') || usage "--tls is not a bundle of a CA, a certificate and a key"
fi
for f in ca.pem cert.pem key.pem; do
  [ -r "$tls_dir/$f" ] || { say "$tls_dir/$f is missing"; exit 1; }
done
# What reads an https catalog on this node (a proxy's route agent): its token and CA.
if [ -n "$catalog_token_file" ]; then
  [ -r "$catalog_token_file" ] || usage "--catalog-token-file $catalog_token_file cannot be read"
  (umask 077 && mkdir -p "$root/catalog" && cp "$catalog_token_file" "$root/catalog/token" &&
    cp "$tls_dir/ca.pem" "$root/catalog/ca.pem") || { say "cannot keep the catalog's token in $root/catalog"; exit 1; }
  rm -f "$catalog_token_file"
fi
# openssl answers while the engine starts (it is a process of its own, not free); the
# join waits for its word.
openssl verify -CAfile "$tls_dir/ca.pem" -purpose sslserver -verify_hostname "$instance" \
  "$tls_dir/cert.pem" >"$root/tls-check.log" 2>&1 &
tls_check=$!
# Containers on a node never reach one another across its bridges (isolate-bridges.sh),
# checked while the engine starts.
"$here/isolate-bridges.sh" >"$root/isolation.log" 2>&1 &
isolation=$!
pidfile="$root/dockerd.pid"
log="$root/dockerd.log"

# daemon.json, in printf's formats alone: values hold no quote or backslash (checked
# above), and a subshell per value would cost a fork each on the boot's critical path.
set -f
newline='
'
{
  printf '{\n  "data-root": "%s",\n  "exec-root": "%s",\n  "pidfile": "%s",\n' \
    "$root/data" "$root/run" "$pidfile"
  printf '  "tlsverify": true,\n  "tlscacert": "%s",\n  "tlscert": "%s",\n  "tlskey": "%s",\n' \
    "$tls_dir/ca.pem" "$tls_dir/cert.pem" "$tls_dir/key.pem"
  printf '  "hosts": ["unix://%s", "tcp://%s:2376"],\n' "$socket" "$address"
  [ -z "$cgroup_parent" ] || printf '  "cgroup-parent": "%s",\n' "$cgroup_parent"
  [ "$role" = proxy ] || printf '  "node-generic-resources": ["micado.cpu_milli=%s", "micado.mem_mb=%s"],\n' \
    "$cpu_milli" "$memory_mb"
  printf '  "labels": ["micado.instance=%s", "micado.role=%s", "micado.pool=%s", "micado.flavour=%s"' \
    "$instance" "$role" "$pool" "$flavour"
  [ -z "$tag" ] || printf ', "micado.tag=%s"' "$tag"
  printf ', "micado.engine=tcp://%s:2376"' "$address"
  IFS=$newline
  for label in $labels; do printf ', "%s"' "$label"; done
  unset IFS
  printf '],\n'
  # A node needs no NAT or firewall rules of the host: published ports use host mode.
  printf '  "iptables": false,\n  "ip-masq": false,\n  "ip-forward": false,\n'
  # No process of a container gains privileges it did not start with (setuid, file caps).
  printf '  "no-new-privileges": true,\n'
  printf '  "shutdown-timeout": 5,\n  "log-level": "warn"\n}\n'
} > "$root/daemon.json"
set +f

# The registry is trusted as Docker documents it: the cluster's CA in certs.d for its
# address (never insecure-registries). The engine reads it at each pull.
certs="/etc/docker/certs.d/$registry"
mkdir -p "$certs"
cp "$tls_dir/ca.pem" "$certs/ca.crt.$$" && mv "$certs/ca.crt.$$" "$certs/ca.crt"

# The engine's service: what starts it again after a crash or a reboot. Its lines are
# this boot's own: the bridges kept apart, a dead engine's files cleared, the engine
# on its configuration.
units=$(units_dir "$root")
dockerd=$(command -v dockerd) || usage "dockerd is not installed: run deploy.sh"
engine_unit "$units" micado-node.service \
  "micado node $instance: the Docker engine that keeps it in the cluster's swarm" \
  "$dockerd" "$root/daemon.json" "$here/isolate-bridges.sh" "$common/clear-dead-engine.sh $root"

# The engine, in the background, its output in its log (never on ours: a caller
# waiting for this script must not wait for the engine too).
"$common/clear-dead-engine.sh" "$root"
engine=''
if systemd_booted; then
  # The distribution's engine would take docker0 and the default socket.
  retire_unit docker.service docker.socket
  enable_unit micado-node.service || { say "systemd did not start micado-node.service"; exit 1; }
  log='the journal (journalctl -u micado-node.service)'
else
  dockerd --config-file "$root/daemon.json" </dev/null >>"$log" 2>&1 &
  engine=$!
fi
fail() {
  say "$*"
  if [ -n "$engine" ]; then
    kill "$engine" 2>/dev/null || true
  else
    systemctl disable --now --quiet micado-node.service 2>/dev/null || true
  fi
  # Nothing half-made: no service left to start a node that never joined.
  rm -f "$units/micado-node.service"
  exit 1
}

# The join is asked of the engine's API as soon as its socket is there (a shell test
# costs nothing): the request waits in the socket's queue until the engine serves, and
# an engine not yet listening is asked again. The join token goes in on curl's stdin,
# so it is on no command line and in no log.
waited=0
alive() {
  if [ -n "$engine" ]; then
    kill -0 "$engine" 2>/dev/null || fail "dockerd exited: $(tail -n 1 "$log" 2>/dev/null)"
  elif systemctl is-failed --quiet micado-node.service; then
    fail "micado-node.service failed: $(journalctl -u micado-node.service -n 1 -o cat 2>/dev/null)"
  fi
  waited=$((waited + 1))
  [ "$waited" -le $((ready_timeout * 50)) ] || fail "dockerd did not answer within $ready_timeout s; see $log"
  sleep 0.02
}
if ! wait "$tls_check"; then
  checked=$(cat "$root/tls-check.log")
  why=$(printf '%s\n' "$checked" | sed -n 's/^error [0-9]* at [0-9]* depth lookup: //p' | head -n 1)
  fail "the engine's certificate cannot serve instance $instance: ${why:-$(printf '%s' "$checked" | tail -n 1)}"
fi
wait "$isolation" ||
  fail "cannot keep containers apart on this node's bridges: $(tail -n 1 "$root/isolation.log"); install Debian's iptables"
until [ -S "$socket" ]; do alive; done
join_request() {
  printf '{"ListenAddr": "0.0.0.0:2377", "AdvertiseAddr": "%s", "RemoteAddrs": ["%s"], "JoinToken": "%s"}' \
    "$address" "$manager" "$token"
}
# curl's exit 7: nothing listens on the socket yet.
while :; do
  code=0
  answer=$(join_request | curl -sS --unix-socket "$socket" -X POST --max-time "$ready_timeout" \
    -H 'Content-Type: application/json' --data-binary @- -w '\n%{http_code}' \
    http://engine/swarm/join 2>&1) || code=$?
  [ "$code" -eq 7 ] || break
  alive
done
[ "$code" -eq 0 ] || fail "the engine did not answer the join: $(printf '%s' "$answer" | tail -n 1)"
status=$(printf '%s' "$answer" | tail -n 1)
if [ "$status" != 200 ]; then
  # The engine's word is {"message": "..."}: that alone, on one line.
  why=$(printf '%s' "$answer" | sed -n 's/.*"message":"\(.*\)"}.*/\1/p' | head -n 1)
  fail "joining the swarm at $manager failed: ${why:-HTTP $status}"
fi
[ -z "$token_file" ] || rm -f "$token_file"
echo "$me: node $instance joined the swarm at $manager as $address"
