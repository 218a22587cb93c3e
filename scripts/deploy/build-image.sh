#!/usr/bin/env bash
# Builds a detectfn image with plain `docker build` (no BuildKit needed):
#   scripts/deploy/build-image.sh [cpu|gpu] [TAG]      (defaults: cpu, detectfn:KIND)
# Run `npm run build` first. Prints the tag on stdout; time and size go to stderr.
# cpu: BASE_IMAGE picks the base. Unset: node:24-bookworm-slim (Node 24 LTS) when the registry
#      has it (a developer laptop, CI with a registry), else local/node:20-bookworm-slim from
#      make-base-image.sh (built once, with this machine's node).
# gpu: CUDA_IMAGE, NODE_IMAGE and ONNXRUNTIME_NODE_INSTALL pass through as build args
#      (needs the registry, npm and NuGet; ONNXRUNTIME_NODE_INSTALL=skip builds a CPU twin).
set -euo pipefail
cd "$(dirname "$0")/../.."
kind=${1:-cpu}
tag=${2:-detectfn:$kind}
log() { echo "build-image: $*" >&2; }
export DOCKER_BUILDKIT=0

pick_base() {
  if [ -n "${BASE_IMAGE:-}" ]; then echo "$BASE_IMAGE"; return; fi
  if docker image inspect node:24-bookworm-slim >/dev/null 2>&1 || docker pull -q node:24-bookworm-slim >/dev/null 2>&1; then
    echo node:24-bookworm-slim
  else
    log "no registry: using the local base (built once, then cached)"
    bash scripts/deploy/make-base-image.sh
    echo "${NODE_BASE_IMAGE:-local/node:20-bookworm-slim}"
  fi
}

args=()
case "$kind" in
  cpu)
    base=$(pick_base)
    ctx=$(bash scripts/deploy/stage-context.sh)
    args=(-f infra/deploy/Dockerfile --build-arg "BASE_IMAGE=$base")
    ;;
  gpu)
    ctx=$(CONTEXT_DIR=.cache/deploy/context-gpu NO_NODE_MODULES=1 bash scripts/deploy/stage-context.sh)
    args=(-f infra/deploy/Dockerfile.gpu)
    for a in CUDA_IMAGE NODE_IMAGE ONNXRUNTIME_NODE_INSTALL; do
      [ -z "${!a:-}" ] || args+=(--build-arg "$a=${!a}")
    done
    ;;
  *) log "unknown kind $kind (cpu|gpu)"; exit 2 ;;
esac

t0=$(date +%s%N)
out=$(mktemp)
if ! docker build "${args[@]}" -t "$tag" "$ctx" >"$out" 2>&1; then
  tail -30 "$out" >&2
  rm -f "$out"
  log "docker build of $tag failed"
  exit 1
fi
rm -f "$out"
size=$(docker image inspect -f '{{.Size}}' "$tag")
log "$tag built in $(( ($(date +%s%N) - t0) / 1000000 )) ms, $((size / 1000000)) MB"
echo "$tag"
