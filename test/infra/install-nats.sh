#!/usr/bin/env bash
# Installs nats-server (with JetStream) from Debian's packages if it is missing.
# Idempotent. Prints the absolute path of the nats-server binary on stdout.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"

find_nats() { PATH="$PATH:/usr/sbin:/sbin" command -v nats-server 2>/dev/null || true; }

bin=$(deb_binary find_nats nats-server nats-server)
log "nats-server: $("$bin" --version 2>&1)"
echo "$bin"
