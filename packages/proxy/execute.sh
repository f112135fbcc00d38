#!/bin/sh
# micado proxy: boots a proxy node. It joins the swarm as every node does (the node
# package's execute.sh, packed beside this one) with role proxy and no capacity, so
# nothing is placed on it; then it starts nginx on ADDRESS:80 (and :443 with a
# certificate) and, supervised (started again a second after it ends), the route agent,
# which watches the manager's catalog (--catalog) and keeps nginx's routes current.
# Same parameters as the node package's, --catalog required. On any failure: one line,
# a non-zero exit, the engine stopped.
#
#   execute.sh --manager HOST:2377 --token TOKEN --registry HOST:PORT --instance ID
#              --pool POOL --flavour FLAVOUR --tls BUNDLE --catalog http(s)://HOST:8500
#              [--catalog-token-file FILE]   (the read token of an https catalog)
#              [--certificate BUNDLE | --certificate-file FILE | --certificate-dir DIR]
#              [--address ADDRESS] [--root DIR] ...      (see the node package's README)
#
# nginx and the route agent are services too (micado-proxy-nginx, micado-route-agent,
# after the node's micado-node): on a machine booted by systemd they are enabled and
# started through systemd, which starts them again after a crash or a reboot. Elsewhere
# they are started here (the agent under a loop of this script's), and the units are
# written to ROOT/systemd all the same.
set -eu
me=execute.sh
say() { echo "$me: $*" >&2; }
here=$(cd "$(dirname "$0")" && pwd)
# Packed beside this script; in a checkout, in packages/common.
common=$here
[ -r "$common/service-units.sh" ] || common=$here/../common
. "$common/service-units.sh"
root=/var/lib/micado-node address='' catalog='' certificate='' certificate_dir='' certificate_file=''
# --certificate (the served certificate, its chain and its key, in base64: one word),
# --certificate-file (a file, mode 600, holding that word: the key on no command line;
# read, then removed) and --certificate-dir (cert.pem and key.pem) are this script's
# own: taken out of what is passed on to the node's boot. A parameter followed by
# another is empty, as there.
taking=''
for word do
  shift
  if [ -n "$taking" ]; then
    case "$word" in
      --*) taking='' ;;
      *) eval "$taking=\$word" && taking='' && continue ;;
    esac
  fi
  case "$word" in
    --certificate) taking=certificate && continue ;;
    --certificate-dir) taking=certificate_dir && continue ;;
    --certificate-file) taking=certificate_file && continue ;;
  esac
  set -- "$@" "$word"
done
# Read what this script needs too; everything else is passed on as it came.
previous=''
for word in "$@"; do
  case "$previous" in
    --root) root=$word ;;
    --address) address=$word ;;
    --catalog) catalog=$word ;;
  esac
  previous=$word
done
case "$catalog" in http://* | https://*) ;; *) say "--catalog must be the manager's catalog, http(s)://HOST:PORT"; exit 2 ;; esac
# The tarball packs the node's boot script and the agent beside this script; a checkout
# has them where they are built.
boot=$here/node-execute.sh agent=$here/route-agent.js
[ -x "$boot" ] || boot=$here/../node/execute.sh
[ -r "$agent" ] || agent=$here/../../dist/route-agent/route-agent.js
command -v nginx >/dev/null || { say "nginx is not installed: run deploy.sh"; exit 1; }
# The package's own Node.js for the route agent (runtime/node), else the machine's.
node=$here/runtime/node
[ -x "$node" ] || node=$(command -v node) || { say "Node.js is missing (the route agent needs it): the package carries runtime/node; repack it"; exit 1; }
[ -r "$agent" ] || { say "the route agent is missing beside $0"; exit 1; }
[ -r /usr/lib/nginx/modules/ngx_http_lua_module.so ] ||
  { say "nginx's Lua module is not installed (libnginx-mod-http-lua): run deploy.sh"; exit 1; }

[ -n "$address" ] || address=$(hostname -I 2>/dev/null | awk '{print $1}')
conf="$root/nginx"
mkdir -p "$conf/logs"
cp "$here/micado_routes.lua" "$conf/micado_routes.lua"
# The Lua balancer (micado_routes.lua) takes each route's instances from the route
# agent through a control listener on this machine's loopback only, into shared
# memory: replicas come and go without a reload (see nginx.conf.in).
sed -e "s|@ROOT@|$conf|g" -e "s|@CONTROL@|127.0.0.1:8480|g" "$here/nginx.conf.in" >"$conf/nginx.conf"
if [ -n "$certificate_file" ]; then
  [ -r "$certificate_file" ] || { say "--certificate-file $certificate_file cannot be read"; exit 2; }
  certificate=$(cat "$certificate_file")
  rm -f "$certificate_file"
fi
# HTTPS on 443 when a certificate is given: unpacked (the key mode 600) for nginx.
tls_lines='' tls_listen=''
if [ -n "$certificate" ]; then
  certificate_dir="$root/certificate"
  mkdir -p "$certificate_dir"
  chmod 700 "$certificate_dir"
  (umask 077 && printf '%s' "$certificate" | base64 -d 2>/dev/null | awk -v dir="$certificate_dir" '
    /^-----BEGIN .*PRIVATE KEY-----/ { key = 1 }
    key { print > (dir "/key.pem") }
    !key { print > (dir "/cert.pem") }
    /^-----END .*PRIVATE KEY-----/ { key = 0; found = 1 }
    END { exit found ? 0 : 1 }') ||
    { say "--certificate is not a certificate and its key"; exit 2; }
fi
if [ -n "$certificate_dir" ]; then
  case "$certificate_dir" in *[!A-Za-z0-9_./-]*) say "--certificate-dir must be a plain path"; exit 2 ;; esac
  for f in cert.pem key.pem; do
    [ -r "$certificate_dir/$f" ] || { say "$certificate_dir/$f is missing"; exit 1; }
  done
  tls_lines="ssl_certificate $certificate_dir/cert.pem;
ssl_certificate_key $certificate_dir/key.pem;"
  tls_listen="listen $address:443 ssl default_server;"
fi
# No route yet: every Host answers 404 until the agent has read the catalog.
cat > "$conf/routes.conf" <<CONF
$tls_lines
server {
  listen $address:80 default_server;
  $tls_listen
  default_type text/plain;
  return 404 "micado proxy: no application is served at this address\n";
}
CONF
# The configuration is tested before the node joins: a proxy that cannot serve never joins.
out=$(nginx -t -c "$conf/nginx.conf" -p "$conf" 2>&1) ||
  { say "nginx refuses its configuration: $(printf '%s' "$out" | tail -n 1)"; exit 1; }

"$boot" "$@" --role proxy

# An https catalog's token and CA, kept by the node's boot (never on a command line).
catalog_dir=''
[ ! -r "$root/catalog/token" ] || catalog_dir="$root/catalog"
nginx=$(command -v nginx)
units=$(units_dir "$root")
write_unit "$units" micado-proxy-nginx.service <<UNIT
[Unit]
Description=micado proxy: nginx on $address, serving the routes the route agent keeps
Wants=network-online.target
After=network-online.target micado-node.service

[Service]
Type=forking
PIDFile=$conf/nginx.pid
ExecStartPre=$nginx -t -q -c $conf/nginx.conf -p $conf
ExecStart=$nginx -c $conf/nginx.conf -p $conf
ExecReload=$nginx -s reload -c $conf/nginx.conf -p $conf
Restart=on-failure
RestartSec=2

[Install]
WantedBy=multi-user.target
UNIT
write_unit "$units" micado-route-agent.service <<UNIT
[Unit]
Description=micado proxy: the route agent, from the manager's catalog to nginx's routes
After=micado-proxy-nginx.service

[Service]
ExecStart=$node $agent --catalog $catalog --address $address --dir $conf${certificate_dir:+ --certificate-dir $certificate_dir}${catalog_dir:+ --catalog-dir $catalog_dir}
Restart=always
RestartSec=1
StandardOutput=append:$conf/logs/route-agent.log
StandardError=append:$conf/logs/route-agent.log

[Install]
WantedBy=multi-user.target
UNIT

# The node joined; a proxy without nginx is no proxy: its engine is stopped.
stop_node() {
  if systemd_booted; then
    systemctl disable --now --quiet micado-node.service 2>/dev/null || true
  elif [ -r "$root/dockerd.pid" ]; then
    kill "$(cat "$root/dockerd.pid")" 2>/dev/null || true
  fi
  rm -f "$units/micado-proxy-nginx.service" "$units/micado-route-agent.service"
}
if systemd_booted; then
  # The distribution's nginx would hold port 80 with its default site.
  retire_unit nginx.service
  systemctl daemon-reload && systemctl enable --quiet micado-proxy-nginx.service micado-route-agent.service
  if ! systemctl start micado-proxy-nginx.service micado-route-agent.service; then
    say "nginx did not start: $(journalctl -u micado-proxy-nginx.service -n 1 -o cat 2>/dev/null)"
    stop_node
    exit 1
  fi
  echo "$me: proxy $address:80${certificate_dir:+ and :443} is up (micado-proxy-nginx.service, micado-route-agent.service)"
  exit 0
fi
if ! out=$(nginx -c "$conf/nginx.conf" -p "$conf" 2>&1); then
  say "nginx did not start: $(printf '%s' "$out" | tail -n 1)"
  stop_node
  exit 1
fi
# The agent, supervised: nginx keeps serving the last routes while it is away.
(
  while :; do
    # An agent that dies (or is killed) is started again, whatever its exit status.
    "$node" "$agent" --catalog "$catalog" --address "$address" --dir "$conf" \
      ${certificate_dir:+--certificate-dir "$certificate_dir"} ${catalog_dir:+--catalog-dir "$catalog_dir"} || true
    sleep 1
  done
) </dev/null >>"$conf/logs/route-agent.log" 2>&1 &
echo $! > "$root/route-agent.supervisor.pid"
echo "$me: proxy $address:80${certificate_dir:+ and :443} is up (nginx pid $(cat "$conf/nginx.pid"), route agent supervisor pid $!)"
