#!/usr/bin/env bash
# The README's test command: installs what the tests need on a fresh machine, then runs every
# test (type-check, unit, integration against real services, e2e with real containers) on the
# machine's Node (20), then the unit and integration suites again on Node 24 LTS (installed by
# scripts/node24.sh into .cache/node24; the same node_modules: onnxruntime-node and sharp are
# N-API, so their binaries load on both).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
echo "test-all: npm test (type-check, build, unit, integration, e2e) on node $(node --version)"
npm test
t0=$(date +%s)
npm run test:node24
echo "test-all: unit + integration on node 24 took $(( $(date +%s) - t0 )) s"
