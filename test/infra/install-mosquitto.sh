#!/usr/bin/env bash
# Installs the Mosquitto MQTT broker from Debian's packages if it is missing.
# Idempotent. Prints the absolute path of the mosquitto binary on stdout.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"

find_mosquitto() { PATH="$PATH:/usr/sbin:/sbin" command -v mosquitto 2>/dev/null || true; }

bin=$(find_mosquitto)
if [ -z "$bin" ]; then
  infra_lock
  bin=$(find_mosquitto)
fi
if [ -z "$bin" ]; then
  log "mosquitto not found; installing the Debian package"
  apt_install mosquitto
  bin=$(find_mosquitto)
  [ -n "$bin" ] || die "mosquitto still missing after apt-get install"
fi
log "mosquitto: $("$bin" -h 2>&1 | head -n 1)"
echo "$bin"
