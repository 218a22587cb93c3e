#!/usr/bin/env bash
# The README's test command: installs what the tests need on a fresh machine, then runs every
# test (type-check, unit, integration against real services, e2e with real containers).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
npm test
