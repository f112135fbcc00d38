#!/bin/sh
# micado proxy: boots a proxy node. It joins the swarm as every node does (the node
# package's execute.sh, packed beside this one) with role proxy and no capacity, so
# nothing is placed on it; then it starts nginx on ADDRESS:80, which answers 503 for
# every domain until routes are given to it. Same parameters as the node package's;
# on any failure one line and a non-zero exit, the engine stopped.
#
#   execute.sh --manager HOST:2377 --token TOKEN --registry HOST:PORT --instance ID
#              --pool POOL --flavour FLAVOUR --tls BUNDLE [--address ADDRESS] [--root DIR]
#              ...                                      (see the node package's README)
set -eu
me=execute.sh
here=$(cd "$(dirname "$0")" && pwd)
root=/var/lib/micado-node address=''
# Read what this script needs too; everything is passed on as it came.
previous=''
for word in "$@"; do
  case "$previous" in
    --root) root=$word ;;
    --address) address=$word ;;
  esac
  previous=$word
done
command -v nginx >/dev/null || { echo "$me: nginx is not installed: run deploy.sh" >&2; exit 1; }

[ -n "$address" ] || address=$(hostname -I 2>/dev/null | awk '{print $1}')
conf="$root/nginx"
mkdir -p "$conf/logs"
cat > "$conf/nginx.conf" <<CONF
# Written by micado's proxy execute.sh: no route yet, every domain answers 503.
pid $conf/nginx.pid;
error_log $conf/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log $conf/logs/access.log;
  client_body_temp_path $conf/body;
  proxy_temp_path $conf/proxy;
  fastcgi_temp_path $conf/fastcgi;
  uwsgi_temp_path $conf/uwsgi;
  scgi_temp_path $conf/scgi;
  server {
    listen $address:80 default_server;
    default_type text/plain;
    return 503 "micado proxy: no application is served at \$host yet\n";
  }
}
CONF
# The configuration is tested before the node joins: a proxy that cannot serve never joins.
out=$(nginx -t -c "$conf/nginx.conf" -p "$conf" 2>&1) ||
  { echo "$me: nginx refuses its configuration: $(printf '%s' "$out" | tail -n 1)" >&2; exit 1; }

"$here/node-execute.sh" "$@" --role proxy

if ! out=$(nginx -c "$conf/nginx.conf" -p "$conf" 2>&1); then
  echo "$me: nginx did not start: $(printf '%s' "$out" | tail -n 1)" >&2
  # The node joined; a proxy without nginx is no proxy: its engine is stopped.
  [ -r "$root/dockerd.pid" ] && kill "$(cat "$root/dockerd.pid")" 2>/dev/null
  exit 1
fi
echo "$me: proxy $address:80 is up (nginx pid $(cat "$conf/nginx.pid"))"
