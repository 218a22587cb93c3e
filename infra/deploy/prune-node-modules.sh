#!/bin/sh
# Drops what a linux-x64 container never loads from a production node_modules: onnxruntime-node
# ships native builds for six platforms (~245 MB of the ~290 MB package). POSIX sh on purpose:
# it runs on the host (scripts/deploy/stage-context.sh) and inside the GPU image's deps stage.
set -eu
nm=${1:?usage: prune-node-modules.sh NODE_MODULES_DIR}
ort="$nm/onnxruntime-node/bin/napi-v6"
[ -f "$ort/linux/x64/onnxruntime_binding.node" ] || { echo "prune: $ort/linux/x64 missing" >&2; exit 1; }
rm -rf "$ort/darwin" "$ort/win32" "$ort/linux/arm64"
echo "prune: kept $(du -sh "$nm" | cut -f1) in $nm" >&2
