#!/usr/bin/env bash
# Installs headless Chromium from Debian's packages if it is missing (the browser tests drive
# it with playwright-core; `npx playwright install` would download a browser, which cannot
# work here). Idempotent. Prints the absolute path of the chromium binary on stdout.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"

find_chromium() { command -v chromium 2>/dev/null || command -v chromium-browser 2>/dev/null || true; }

bin=$(deb_binary find_chromium chromium chromium)
log "chromium: $(dpkg-query -W -f '${Version}' chromium 2>/dev/null || echo "$bin")"
echo "$bin"
