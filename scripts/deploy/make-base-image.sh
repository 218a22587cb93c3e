#!/usr/bin/env bash
# Builds the base images for machines with no reachable container registry, each only when it
# is missing (FORCE=1 rebuilds both):
#   local/debian:bookworm        debootstrap --variant=minbase + docker import
#   local/node:20-bookworm-slim  that + this machine's node binary in /usr/local/bin (the
#                                 stand-in for the registry's node:20-bookworm-slim)
# The Debian mirror is read from apt's own configuration at run time (MIRROR= overrides), so no
# host name is ever written into a committed file. Needs root, docker and debootstrap.
set -euo pipefail
DEBIAN_IMAGE=${DEBIAN_IMAGE:-local/debian:bookworm}
NODE_BASE_IMAGE=${NODE_BASE_IMAGE:-local/node:20-bookworm-slim}
log() { echo "make-base-image: $*" >&2; }
have() { [ "${FORCE:-0}" != 1 ] && docker image inspect "$1" >/dev/null 2>&1; }

mirror() {
  if [ -n "${MIRROR:-}" ]; then echo "$MIRROR"; return; fi
  local f=/etc/apt/sources.list.d/debian.sources
  if [ -f "$f" ]; then
    # First deb822 stanza's URIs (the main archive; the security archive comes later).
    awk '/^URIs:/ { print $2; exit }' "$f"
  elif [ -f /etc/apt/sources.list ]; then
    awk '$1 == "deb" && $3 !~ /security/ { print $2; exit }' /etc/apt/sources.list
  fi
}

if have "$DEBIAN_IMAGE"; then
  log "$DEBIAN_IMAGE present"
else
  m=$(mirror)
  [ -n "$m" ] || { log "no Debian mirror found in apt's sources; set MIRROR=http://..."; exit 1; }
  root=$(mktemp -d /tmp/detectfn-rootfs.XXXXXX)
  trap 'rm -rf "$root"' EXIT
  t0=$(date +%s)
  log "debootstrap minbase bookworm (40-75 s)"
  debootstrap --variant=minbase bookworm "$root" "$m" >"$root.log" 2>&1 || { tail -20 "$root.log" >&2; rm -f "$root.log"; exit 1; }
  rm -f "$root.log"
  # Package caches and lists are dead weight in an image that never runs apt-get.
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/var/log/*
  tar -C "$root" -c . | docker import -c 'CMD ["/bin/bash"]' - "$DEBIAN_IMAGE" >/dev/null
  rm -rf "$root"
  trap - EXIT
  log "$DEBIAN_IMAGE built in $(( $(date +%s) - t0 )) s"
fi

if have "$NODE_BASE_IMAGE"; then
  log "$NODE_BASE_IMAGE present"
else
  node_bin=$(command -v node)
  major=$("$node_bin" -p 'process.versions.node.split(".")[0]')
  [ "$major" = 20 ] || { log "host node is v$major, the image needs Node 20"; exit 1; }
  ctx=$(mktemp -d /tmp/detectfn-nodebase.XXXXXX)
  trap 'rm -rf "$ctx"' EXIT
  cp "$node_bin" "$ctx/node"
  printf 'FROM %s\nCOPY node /usr/local/bin/node\nCMD ["node"]\n' "$DEBIAN_IMAGE" >"$ctx/Dockerfile"
  DOCKER_BUILDKIT=0 docker build -q -t "$NODE_BASE_IMAGE" "$ctx" >/dev/null
  rm -rf "$ctx"
  trap - EXIT
  docker run --rm "$NODE_BASE_IMAGE" node -e 'console.log("make-base-image: node " + process.version + " runs in the base")' >&2
  log "$NODE_BASE_IMAGE built"
fi
