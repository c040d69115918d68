#!/usr/bin/env bash
# Builds Centrifugo (CENTRIFUGO_VERSION, default 6.9.1) from the Go module proxy with
# `go install github.com/centrifugal/centrifugo/v6@v<version>`, into
# <cache>/centrifugo-<version>/centrifugo (the cache of test/infra: MSGXC_INFRA_CACHE, else
# /var/cache/msgxc-infra for root, else ~/.cache/msgxc-infra). Used by the Centrifugo
# comparison (bench/centrifugo/compare.sh); nothing in the tests needs it.
# Idempotent and safe to run concurrently (infra_lock). Prints the binary path on stdout.
#
# Hermetic as test/infra/install-nats-current.sh: GOPATH, GOMODCACHE and GOCACHE live in a
# scratch folder beside the install (removed afterwards), GOFLAGS and GOWORK from the
# environment are overridden; GOPROXY, GOSUMDB and GOTOOLCHAIN are honoured when set.
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
  go=$(PATH="$PATH:/usr/local/go/bin" command -v go 2>/dev/null || true)
  [ -n "$go" ] || die "go not found (on PATH or /usr/local/go/bin); Centrifugo $version builds with Go >= 1.21"
  gover=$("$go" env GOVERSION)
  minor=$(printf '%s' "$gover" | sed -n 's/^go1\.\([0-9]*\).*/\1/p')
  [ "${minor:-0}" -ge 21 ] || die "$go is $gover; Go >= 1.21 is needed (it fetches the toolchain the module asks for)"
  export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
  tmp="$home.partial.$$"
  rm -rf "$tmp"
  trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/bin"
  log "building Centrifugo $version with $gover: go install $module (several minutes on 2 cores)"
  started=$(date +%s)
  # CGO_ENABLED=0: a static binary, and no C compiler needed. The version the binary reports
  # is set at link time, as Centrifugo's own release builds do (otherwise it says v0.0.0);
  # the usage-statistics endpoint is left unset, so the binary never reports usage.
  (cd "$tmp" && env GOBIN="$tmp/bin" GOPATH="$tmp/gopath" GOMODCACHE="$tmp/gopath/pkg/mod" \
    GOCACHE="$tmp/gocache" GOFLAGS="-modcacherw -trimpath" GOWORK=off GO111MODULE=on CGO_ENABLED=0 \
    "$go" install -ldflags="-X github.com/centrifugal/centrifugo/v6/internal/build.Version=$version" "$module" >&2) \
    || die "go install $module failed (is the Go module proxy reachable? GOPROXY=$("$go" env GOPROXY))"
  # The module version recorded in the binary is what was fetched; the reported one was set above.
  "$go" version -m "$tmp/bin/centrifugo" | grep -q "github.com/centrifugal/centrifugo/v6[[:space:]]*v$version" \
    || die "the built binary is not module $module: $("$go" version -m "$tmp/bin/centrifugo" | head -3)"
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
