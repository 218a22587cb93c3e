#!/usr/bin/env bash
# The first-GPU-run check (issue 11 §4), for a machine with no network: run from a copy of the
# tree plus the folder `npm run gpu-pack` prepared (.gpu-pack/, or DETECTFN_GPU_PACK). It needs
# bash and node only (no npm, no node_modules); where the machine has no node, it unpacks the
# pack's own (xz, or python3's lzma). Arguments go to the check (scripts/gpu-check/check.ts):
#   bash scripts/gpu-check.sh [--require-gpu] [--iterations N] [--batches 1,2,4,8] [--out FILE]
# The JSON report goes to $OUT/gpu-check-report.json when OUT is set, else into the pack folder.
set -euo pipefail
here=${BASH_SOURCE[0]%/*}
[[ $here == "${BASH_SOURCE[0]}" ]] && here=.
root=$(cd "$here/.." && pwd)
pack=${DETECTFN_GPU_PACK:-$root/.gpu-pack}
if [[ ! -f $pack/pack.json ]]; then
  echo "gpu-check: $pack/pack.json is missing: run 'npm run gpu-pack' in a tree with node_modules and bring .gpu-pack along" >&2
  exit 2
fi

# WebGPU's Dawn opens libvulkan.so.1: use the packed loader where the system has none, and
# point it at NVIDIA's driver manifest where the device image keeps it (device README).
system_vulkan() {
  local d
  for d in /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu /usr/lib64 /usr/lib; do
    [[ -e $d/libvulkan.so.1 ]] && return 0
  done
  return 1
}
if [[ -f $pack/vulkan/libvulkan.so.1 ]] && ! system_vulkan; then
  export LD_LIBRARY_PATH=$pack/vulkan${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
nvidia_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [[ -z ${VK_DRIVER_FILES:-} && -f $nvidia_icd ]]; then export VK_DRIVER_FILES=$nvidia_icd; fi

node=$(command -v node || true)
if [[ -z $node ]]; then
  if [[ ! -f $pack/node/node.xz ]]; then
    echo "gpu-check: no node on PATH and none in the pack (made with --no-node)" >&2
    exit 2
  fi
  node=${TMPDIR:-/tmp}/detectfn-gpu-check-node-$$
  trap 'rm -f "$node"' EXIT
  if command -v xz >/dev/null; then
    xz -dc "$pack/node/node.xz" >"$node" && chmod +x "$node"
  else
    python3 -c 'import lzma, os, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb")); os.chmod(sys.argv[2], 0o755)' "$pack/node/node.xz" "$node"
  fi
  echo "gpu-check: no node on PATH, using the pack's $("$node" --version)" >&2
fi
rc=0
"$node" "$pack/app/dist/gpu-check.js" --pack "$pack" "$@" || rc=$?
exit $rc
