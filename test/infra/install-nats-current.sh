#!/usr/bin/env bash
# Builds the current nats-server release (NATS_CURRENT_VERSION in versions.env) from the Go
# module proxy with `go install`, into <cache>/nats-server-<version>/nats-server. Debian
# ships only 2.9.10 (install-nats.sh); production users run current releases, so the
# JetStream log is tested on both.
# Idempotent and safe to run concurrently (infra_lock). Prints the binary path on stdout.
# The build is hermetic (infra_go_install in lib.sh), in a scratch folder beside the install.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
. "$here/versions.env"

cache=$(infra_cache_dir)
home="$cache/nats-server-$NATS_CURRENT_VERSION"
bin="$home/nats-server"
module="github.com/nats-io/nats-server/v2@v$NATS_CURRENT_VERSION"

if [ ! -f "$home/.complete" ]; then
  infra_lock
fi
if [ ! -f "$home/.complete" ]; then
  tmp="$home.partial.$$"
  rm -rf "$tmp"
  trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
  started=$(date +%s)
  infra_go_install "$tmp" "$module"
  built=$("$tmp/bin/nats-server" --version 2>&1) || die "the built nats-server does not run: $built"
  case "$built" in *"v$NATS_CURRENT_VERSION"*) ;; *) die "built '$built', expected v$NATS_CURRENT_VERSION" ;; esac
  rm -rf "$home"
  mkdir -p "$home"
  mv "$tmp/bin/nats-server" "$bin"
  touch "$home/.complete"
  log "built $built in $(( $(date +%s) - started )) s: $bin"
fi
log "nats-server: $("$bin" --version 2>&1)"
echo "$bin"
