#!/usr/bin/env bash
# Prepares the docker build context for infra/deploy/Dockerfile* in .cache/deploy/context:
#   dist/ (every runtime bundle + maps, and the gRPC .proto files; run `npm run build` first), models/ (manifests + demo model),
#   package.json + package-lock.json, prune-node-modules.sh, and, unless NO_NODE_MODULES=1
#   (the GPU image installs its own in a stage), a production node_modules.
# The production node_modules comes from `npm ci --omit=dev` on the host (ONNXRUNTIME_NODE_INSTALL
# =skip: CPU only), because npm inside a docker build cannot get through a TLS-intercepting
# proxy. It is reused while package-lock.json is unchanged. Prints the context path.
set -euo pipefail
cd "$(dirname "$0")/../.."
ctx=${CONTEXT_DIR:-.cache/deploy/context}
log() { echo "stage-context: $*" >&2; }
for f in dist/server.js dist/cli.js dist/lambda.js dist/engine-worker.js dist/decode-worker.js dist/native/turbojpeg.node dist/native/libturbojpeg.so.0 dist/proto/grpc_service.proto dist/proto/health.proto dist/ui/page.html dist/ui/page.js models/demo/demo.onnx; do
  [ -f "$f" ] || { log "$f missing: run npm run build first"; exit 1; }
done
mkdir -p "$ctx"
rm -rf "$ctx/dist" "$ctx/models"
mkdir -p "$ctx/dist" "$ctx/models/demo"
# Every bundle scripts/build.mjs makes: the entry points the platforms run (server.js, cli.js
# for `detectfn sqs`, lambda.js) and the worker bundles they load by path (engine-worker.js,
# decode-worker.js). A hand-kept list here once left cli.js and decode-worker.js out of the
# image. Only the demo-model generator stays out: it runs at build time, never in a container.
for js in dist/*.js; do
  [ "$js" = dist/build-demo-model.js ] || cp "$js" "$js.map" "$ctx/dist/"
done
# The gRPC listener loads its .proto files from beside the bundles.
cp -r dist/proto "$ctx/dist/"
# The web page (GET /) is read from beside the bundles too.
cp -r dist/ui "$ctx/dist/"
# The JPEG decoder addon with its libturbojpeg (rpath $ORIGIN: needs only glibc in the image).
# Required: an image without it would decode with sharp at twice the CPU, unlike what was measured.
cp -r dist/native "$ctx/dist/"
cp models/demo/demo.onnx "$ctx/models/demo/"
find models -maxdepth 1 -name '*.json' -exec cp {} "$ctx/models/" \;
cp package.json package-lock.json infra/deploy/prune-node-modules.sh "$ctx/"

if [ "${NO_NODE_MODULES:-0}" = 1 ]; then
  rm -rf "$ctx/node_modules" "$ctx/.lock-sha"
else
  sha=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ -d "$ctx/node_modules" ] && [ "$(cat "$ctx/.lock-sha" 2>/dev/null)" = "$sha" ]; then
    log "production node_modules up to date"
  else
    log "npm ci --omit=dev (production node_modules, CPU only)"
    rm -rf "$ctx/node_modules" "$ctx/.lock-sha"
    (cd "$ctx" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --omit=dev --no-audit --no-fund --loglevel=error >&2)
    sh infra/deploy/prune-node-modules.sh "$ctx/node_modules"
    echo "$sha" >"$ctx/.lock-sha"
  fi
fi
echo "$ctx"
