#!/usr/bin/env bash
# Sets everything up on a fresh Debian host and runs micado's main job on the embedded
# default: a local cluster (manager, private registry, base image, the autoscaling
# manager) with a proxy node, and a web container built from a tarball and launched
# with no node to run on: the manager starts a node in the default pool, the container
# runs there, and its page is fetched on the instance's port 8080 and through the proxy
# by its domain. Exits non-zero, saying what did not answer, when either fails.
# Idempotent: a second run finds what is already there and checks the page again.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-host.sh
micado() { node dist/bin/micado.js "$@"; }
fail() {
  echo "demo: $*" >&2
  exit 1
}
# Prints what the JavaScript expression makes of the JSON on stdin (as `j`).
query() {
  node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>{const j=JSON.parse(s);const r=('"$1"');if(r!==undefined&&r!==null)console.log(r)})'
}

micado up

# The proxy serves the domains of containers launched with -d, on its port 80.
if [ -z "$(micado status --json | query 'j.nodes.find((n)=>n.role==="proxy")?.address')" ]; then
  micado start -f small -t proxy01 -n proxy
fi

if ! micado list -c -a --json | grep -q '"name": "container-demo"'; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  mkdir "$work/container-demo"
  registry=$(micado status --json | query 'j.registry.address')
  printf 'FROM %s/micado/base:latest\nCOPY index.html /www/index.html\nEXPOSE 8080\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n' "$registry" >"$work/container-demo/Dockerfile"
  echo '<h1>micado demo</h1>' >"$work/container-demo/index.html"
  tar -C "$work" -czf "$work/demo.tar.gz" container-demo
  micado build -n container-demo -f "$work/demo.tar.gz"
  # No node has room (there is none yet): launch waits while the manager starts one.
  # -p 8080: the port of the instance it runs on; -d: the domain the proxy serves it at.
  micado launch -i container-demo -n demo -p 8080 --memory 300m -d demo.local
fi

micado list -c
echo
micado list -i
echo
micado events --limit 6
echo

listing=$(micado list -c -i --json)
node=$(query 'j.instances.find((i)=>j.containers.find((c)=>c.name==="container-demo")?.nodes.includes(i.hostname))?.address' <<<"$listing")
[ -n "$node" ] || fail "container-demo runs on no node: see micado info -s container-demo"
page=$(curl -sS -m 10 -f "http://$node:8080/" 2>&1) ||
  fail "container-demo did not answer on its node's port, http://$node:8080/ ($page)"
echo "container-demo answers on http://$node:8080/:"
echo "$page"

proxy=$(query 'j.instances.find((i)=>i.role==="proxy")?.address' <<<"$listing")
[ -n "$proxy" ] || fail "no proxy node is listed: see micado list -i"
# The proxy routes the domain once its route agent has read the launch from the catalog.
for _ in $(seq 1 40); do
  if served=$(curl -sS -m 5 -f --resolve "demo.local:80:$proxy" http://demo.local/ 2>&1); then break; fi
  sleep 0.25
done
[ "$served" = "$page" ] ||
  fail "demo.local did not answer through the proxy at $proxy:80 ($served): see micado info -s container-demo"
echo "demo.local answers through the proxy at $proxy:80 (curl --resolve demo.local:80:$proxy http://demo.local/):"
echo "$served"
echo "The cluster stays up. Take it down with: node dist/bin/micado.js down"
