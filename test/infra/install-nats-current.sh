#!/usr/bin/env bash
# Builds the current nats-server release (NATS_CURRENT_VERSION in versions.env) from the Go
# module proxy with `go install`, into <cache>/nats-server-<version>/nats-server. Debian
# ships only 2.9.10 (install-nats.sh); production users run current releases, so the
# JetStream log is tested on both.
# Idempotent and safe to run concurrently (infra_lock). Prints the binary path on stdout.
#
# The build is hermetic: GOPATH, GOMODCACHE and GOCACHE live in a scratch folder beside the
# install (removed afterwards), so it needs no writable $HOME and leaves nothing in the
# user's Go caches; GOFLAGS and GOWORK from the environment are overridden because `go
# install pkg@version` rejects several of them (-mod=...). GOPROXY, GOSUMDB and GOTOOLCHAIN
# are honoured when set (the checksum database is reached through the proxy by default).
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
  go=$(PATH="$PATH:/usr/local/go/bin" command -v go 2>/dev/null || true)
  [ -n "$go" ] || die "go not found (on PATH or /usr/local/go/bin); nats-server $NATS_CURRENT_VERSION builds with Go >= 1.21 (1.26 is used here)"
  # Go >= 1.21 can fetch the toolchain the module asks for (go 1.26) through the proxy,
  # unless GOTOOLCHAIN=local pins it; older Go cannot build this module at all.
  gover=$("$go" env GOVERSION)
  minor=$(printf '%s' "$gover" | sed -n 's/^go1\.\([0-9]*\).*/\1/p')
  [ "${minor:-0}" -ge 21 ] || die "$go is $gover; Go >= 1.21 is needed"
  [ "$minor" -ge 26 ] || export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
  tmp="$home.partial.$$"
  rm -rf "$tmp"
  trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/bin"
  log "building nats-server $NATS_CURRENT_VERSION with $gover: go install $module (a few minutes on 2 cores)"
  started=$(date +%s)
  # CGO_ENABLED=0: a static binary, and no C compiler needed.
  (cd "$tmp" && env GOBIN="$tmp/bin" GOPATH="$tmp/gopath" GOMODCACHE="$tmp/gopath/pkg/mod" \
    GOCACHE="$tmp/gocache" GOFLAGS="-modcacherw -trimpath" GOWORK=off GO111MODULE=on CGO_ENABLED=0 \
    "$go" install "$module" >&2) || die "go install $module failed (is the Go module proxy reachable? GOPROXY=$("$go" env GOPROXY))"
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
