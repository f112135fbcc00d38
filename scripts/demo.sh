#!/usr/bin/env bash
# Sets everything up on a fresh Debian host and runs micado's main job on the embedded
# default: a local cluster (manager, private registry, base image, the autoscaling
# manager) and a web container built from a tarball and launched with no node to run
# on: the manager starts a node in the default pool, the container runs there and
# answers on its published port. Idempotent: a second run finds what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-host.sh
micado() { node dist/bin/micado.js "$@"; }

micado up

if ! micado list -c -a --json | grep -q '"name": "container-demo"'; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  mkdir "$work/container-demo"
  registry=$(micado status --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).registry.address))')
  printf 'FROM %s/micado/base:latest\nCOPY index.html /www/index.html\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n' "$registry" > "$work/container-demo/Dockerfile"
  echo '<h1>micado demo</h1>' > "$work/container-demo/index.html"
  tar -C "$work" -czf "$work/demo.tar.gz" container-demo
  micado build -n container-demo -f "$work/demo.tar.gz"
  # No node has room (there is none yet): launch waits while the manager starts one.
  micado launch -i container-demo -n demo -p 8080 --memory 300m -d demo.local
fi

micado list -c
echo
micado list -i
echo
micado events --limit 6
address=$(micado list -c -i --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const l=JSON.parse(s);const c=l.containers.find(c=>c.name==="container-demo");console.log(l.instances.find(i=>c.nodes.includes(i.hostname)).address)})')
echo
echo "container-demo answers: $(node -e "fetch('http://$address:8080/').then(r=>r.text()).then(t=>process.stdout.write(t))")"
echo "The cluster stays up. Take it down with: node dist/bin/micado.js down"
