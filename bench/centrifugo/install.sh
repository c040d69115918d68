#!/usr/bin/env bash
# Builds Centrifugo (CENTRIFUGO_VERSION, default 6.9.1) from the Go module proxy with
# `go install github.com/centrifugal/centrifugo/v6@v<version>`, into
# <cache>/centrifugo-<version>/centrifugo (the cache of test/infra: MSGXC_INFRA_CACHE, else
# /var/cache/msgxc-infra for root, else ~/.cache/msgxc-infra). Used by the Centrifugo
# comparison (bench/centrifugo/compare.sh); nothing in the tests needs it.
# Idempotent and safe to run concurrently (infra_lock). Prints the binary path on stdout.
# The build is hermetic (infra_go_install in test/infra/lib.sh), in a scratch folder beside
# the install.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../../test/infra/lib.sh"

version=${CENTRIFUGO_VERSION:-6.9.1}
cache=$(infra_cache_dir)
home="$cache/centrifugo-$version"
bin="$home/centrifugo"
module="github.com/centrifugal/centrifugo/v6@v$version"

if [ ! -f "$home/.complete" ]; then
  infra_lock
fi
if [ ! -f "$home/.complete" ]; then
  tmp="$home.partial.$$"
  rm -rf "$tmp"
  trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
  started=$(date +%s)
  # The version the binary reports is set at link time, as Centrifugo's own release builds do
  # (otherwise it says v0.0.0); the usage-statistics endpoint is left unset, so the binary
  # never reports usage.
  infra_go_install "$tmp" "$module" -ldflags="-X github.com/centrifugal/centrifugo/v6/internal/build.Version=$version"
  # The module version recorded in the binary is what was fetched; the reported one was set above.
  "$INFRA_GO" version -m "$tmp/bin/centrifugo" | grep -q "github.com/centrifugal/centrifugo/v6[[:space:]]*v$version" \
    || die "the built binary is not module $module: $("$INFRA_GO" version -m "$tmp/bin/centrifugo" | head -3)"
  built=$("$tmp/bin/centrifugo" version 2>&1) || die "the built centrifugo does not run: $built"
  case "$built" in *"$version"*) ;; *) die "built '$built', expected $version" ;; esac
  rm -rf "$home"
  mkdir -p "$home"
  mv "$tmp/bin/centrifugo" "$bin"
  touch "$home/.complete"
  log "built $built in $(( $(date +%s) - started )) s: $bin"
fi
log "centrifugo: $("$bin" version 2>&1)"
echo "$bin"
