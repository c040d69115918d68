#!/usr/bin/env bash
# Installs headless Chromium from Debian's packages if it is missing (the browser tests drive
# it with playwright-core; `npx playwright install` would download a browser, which cannot
# work here). Idempotent. Prints the absolute path of the chromium binary on stdout.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"

find_chromium() { command -v chromium 2>/dev/null || command -v chromium-browser 2>/dev/null || true; }

bin=$(find_chromium)
if [ -z "$bin" ]; then
  infra_lock
  bin=$(find_chromium)
fi
if [ -z "$bin" ]; then
  log "chromium not found; installing the Debian package"
  apt_install chromium
  bin=$(find_chromium)
  [ -n "$bin" ] || die "chromium still missing after apt-get install"
fi
log "chromium: $(dpkg-query -W -f '${Version}' chromium 2>/dev/null || echo "$bin")"
echo "$bin"
