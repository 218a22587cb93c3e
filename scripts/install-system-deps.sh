#!/usr/bin/env bash
# System packages the integration and e2e tests use, from Debian's mirror. Idempotent.
set -euo pipefail
need=()
command -v radosgw >/dev/null || need+=(radosgw ceph-mon ceph-osd ceph-common)
/usr/bin/python3 -c 'import cv2, numpy' 2>/dev/null || need+=(python3-opencv python3-numpy) # infra/image fidelity test
/usr/bin/python3 -c 'import grpc, grpc_tools' 2>/dev/null || need+=(python3-grpcio python3-grpc-tools) # gRPC cross-check client (test/integration/grpc.test.ts)
# e2e (test/e2e): the Docker engine (its dockerd is started by the test when none runs) and
# debootstrap for the local base image where no container registry is reachable.
command -v dockerd >/dev/null || need+=(docker.io)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v promtool >/dev/null || need+=(prometheus) # promtool check metrics on the live /metrics (test/integration/triton-extensions)
command -v chromium >/dev/null || need+=(chromium) # the web page test, a real browser driven by playwright-core
# The native JPEG decoder (scripts/build-native.mjs builds it in `npm run build`): a C compiler,
# libturbojpeg's header and library, and jconfig.h (the libjpeg-turbo version it reports).
command -v cc >/dev/null || need+=(gcc libc6-dev)
[ -f /usr/include/turbojpeg.h ] || need+=(libturbojpeg0-dev)
[ -f /usr/include/x86_64-linux-gnu/jconfig.h ] || [ -f /usr/include/jconfig.h ] || need+=(libjpeg62-turbo-dev)
if [ ${#need[@]} -gt 0 ]; then
  echo "install-system-deps: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
echo "install-system-deps: ok"
