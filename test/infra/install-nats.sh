#!/usr/bin/env bash
# Installs nats-server (with JetStream) from Debian's packages if it is missing.
# Idempotent. Prints the absolute path of the nats-server binary on stdout.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"

find_nats() { PATH="$PATH:/usr/sbin:/sbin" command -v nats-server 2>/dev/null || true; }

bin=$(find_nats)
if [ -z "$bin" ]; then
  infra_lock
  bin=$(find_nats)
fi
if [ -z "$bin" ]; then
  log "nats-server not found; installing the Debian package"
  apt_install nats-server
  bin=$(find_nats)
  [ -n "$bin" ] || die "nats-server still missing after apt-get install"
fi
log "nats-server: $("$bin" --version 2>&1)"
echo "$bin"
