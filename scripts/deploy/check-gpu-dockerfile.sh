#!/usr/bin/env bash
# Builds and runs the CPU twin of infra/deploy/Dockerfile.gpu on a machine with no GPU, no
# registry and no NuGet: the same file and stages, with
#   NODE_IMAGE = local/node:20-bookworm-slim + this host's npm + this host's CA bundle (so npm ci
#                in the deps stage gets through a TLS-intercepting proxy; a throwaway image)
#   CUDA_IMAGE = local/node:20-bookworm-slim (stands in for the CUDA base)
#   ONNXRUNTIME_NODE_INSTALL=skip (no NuGet download, so no CUDA provider libraries)
# then starts the result read-only and waits for /readyz on the demo model. What it cannot
# check: the CUDA base image, the NuGet download and the CUDA provider actually loading.
set -euo pipefail
cd "$(dirname "$0")/../.."
log() { echo "check-gpu-dockerfile: $*" >&2; }
bash scripts/deploy/make-base-image.sh
twin_node=local/node-npm:twin
ctx=$(mktemp -d /tmp/detectfn-npm-twin.XXXXXX)
cid=
cleanup() {
  [ -z "$cid" ] || docker rm -f "$cid" >/dev/null 2>&1 || true
  docker image rm -f "$twin_node" detectfn:gpu-twin >/dev/null 2>&1 || true
  rm -rf "$ctx"
}
trap cleanup EXIT
cp -a "$(dirname "$(readlink -f "$(command -v npm)")")/.." "$ctx/npm"
cp /etc/ssl/certs/ca-certificates.crt "$ctx/ca.crt"
cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM local/node:20-bookworm-slim
COPY npm /usr/local/lib/node_modules/npm
COPY ca.crt /etc/ssl/certs/ca-certificates.crt
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm
ENV NPM_CONFIG_CAFILE=/etc/ssl/certs/ca-certificates.crt
DOCKERFILE
DOCKER_BUILDKIT=0 docker build -q -t "$twin_node" "$ctx" >/dev/null 2>&1
t0=$(date +%s)
CUDA_IMAGE=local/node:20-bookworm-slim NODE_IMAGE=$twin_node ONNXRUNTIME_NODE_INSTALL=skip \
  bash scripts/deploy/build-image.sh gpu detectfn:gpu-twin >/dev/null
log "twin built in $(( $(date +%s) - t0 )) s"
cid=$(docker run -d --read-only --tmpfs /tmp -p 127.0.0.1::8080 detectfn:gpu-twin)
port=$(docker port "$cid" 8080/tcp | head -1 | sed 's/.*://')
for _ in $(seq 1 120); do
  if node -e "fetch('http://127.0.0.1:$port/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"; then
    log "twin container ready on /readyz (user $(docker exec "$cid" node -p 'process.getuid()'))"
    exit 0
  fi
  sleep 1
done
docker logs "$cid" 2>&1 | tail -20 >&2
log "twin container never became ready"
exit 1
