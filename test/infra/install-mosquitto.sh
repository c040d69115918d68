#!/usr/bin/env bash
# Installs the Mosquitto MQTT broker from Debian's packages if it is missing.
# Idempotent. Prints the absolute path of the mosquitto binary on stdout.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"

find_mosquitto() { PATH="$PATH:/usr/sbin:/sbin" command -v mosquitto 2>/dev/null || true; }

bin=$(deb_binary find_mosquitto mosquitto mosquitto)
log "mosquitto: $("$bin" -h 2>&1 | head -n 1)"
echo "$bin"
