# Shared by test/infra/install-*.sh (sourced). Logs go to stderr; stdout carries only the
# final answer (an install path) so that start helpers can read it.

log() { printf '[msgxc-infra] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Root's home is 0700 on Debian, so a cache under it could not be read by the unprivileged
# user that Elasticsearch must run as; root therefore caches under /var/cache.
infra_cache_dir() {
  if [ -n "${MSGXC_INFRA_CACHE:-}" ]; then echo "$MSGXC_INFRA_CACHE"
  elif [ "$(id -u)" = 0 ]; then echo /var/cache/msgxc-infra
  else echo "${HOME}/.cache/msgxc-infra"; fi
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root (or sudo) to run: $*"; fi
}

# Every install of test/infra runs behind one lock: the servers start side by side, and two
# `apt-get install` (or two Maven runs on one local repository) at once collide (dpkg's
# lock-frontend: "Could not get lock"). apt also waits for a dpkg lock held by anyone else
# (an unattended upgrade, another checkout's tests) instead of failing at once.
infra_lock() {
  local cache
  cache=$(infra_cache_dir)
  mkdir -p "$cache"
  exec 8>>"$cache/.install.lock" || die "cannot open $cache/.install.lock"
  flock -w 1800 8 || die "waited 30 min for $cache/.install.lock"
}

APT_WAIT=(-o DPkg::Lock::Timeout=600)
apt_updated=no
# Installs Debian packages (the caller holds infra_lock), refreshing the package index once
# when apt cannot find them (a new machine's index may be empty or stale).
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  if ! as_root apt-get "${APT_WAIT[@]}" install -y -q --no-install-recommends "$@" >&2; then
    [ "$apt_updated" = yes ] && die "apt-get install $* failed"
    log "apt-get install failed; running apt-get update once and retrying"
    as_root apt-get "${APT_WAIT[@]}" update -q >&2 || die "apt-get update failed"
    apt_updated=yes
    as_root apt-get "${APT_WAIT[@]}" install -y -q --no-install-recommends "$@" >&2 \
      || die "apt-get install $* failed after apt-get update"
  fi
}

# java >= 17 and mvn, from Debian's packages when missing.
ensure_java_and_maven() {
  if ! command -v java >/dev/null 2>&1; then apt_install openjdk-17-jdk-headless; fi
  if ! command -v mvn >/dev/null 2>&1; then apt_install maven; fi
  local major
  major=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
  [ "${major:-0}" -ge 17 ] 2>/dev/null || die "java $major found; 17 or newer is needed"
}

# Extra Maven arguments: batch mode, quiet, and an optional private local repository.
mvn_args() {
  printf '%s\n' -B -q
  if [ -n "${MSGXC_MAVEN_REPO:-}" ]; then printf '%s\n' "-Dmaven.repo.local=$MSGXC_MAVEN_REPO"; fi
}

# Builds a Go module's command with `go install <module>@<version>` into <dir>/bin, hermetically:
# GOPATH, GOMODCACHE and GOCACHE live in <dir> (the caller removes it), so it needs no
# writable $HOME and leaves nothing in the user's Go caches; GOFLAGS and GOWORK from the
# environment are overridden because `go install pkg@version` rejects several of them
# (-mod=...). GOPROXY, GOSUMDB and GOTOOLCHAIN are honoured when set (the checksum database is
# reached through the proxy by default). Go >= 1.21 fetches the toolchain a module asks for
# through the proxy (unless GOTOOLCHAIN=local); older Go cannot. CGO_ENABLED=0: a static
# binary, and no C compiler needed. Extra arguments go to `go install` before the module.
# Sets INFRA_GO to the go command it used.
#   infra_go_install <dir> <module@version> [go install flags...]
infra_go_install() {
  local dir=$1 module=$2 go gover minor
  shift 2
  go=$(PATH="$PATH:/usr/local/go/bin" command -v go 2>/dev/null || true)
  INFRA_GO=$go
  [ -n "$go" ] || die "go not found (on PATH or /usr/local/go/bin); $module builds with Go >= 1.21"
  gover=$("$go" env GOVERSION)
  minor=$(printf '%s' "$gover" | sed -n 's/^go1\.\([0-9]*\).*/\1/p')
  [ "${minor:-0}" -ge 21 ] || die "$go is $gover; Go >= 1.21 is needed"
  mkdir -p "$dir/bin"
  log "building with $gover: go install $module (a few minutes on 2 cores)"
  (cd "$dir" && env GOBIN="$dir/bin" GOPATH="$dir/gopath" GOMODCACHE="$dir/gopath/pkg/mod" \
    GOCACHE="$dir/gocache" GOFLAGS="-modcacherw -trimpath" GOWORK=off GO111MODULE=on CGO_ENABLED=0 \
    GOTOOLCHAIN="${GOTOOLCHAIN:-auto}" "$go" install "$@" "$module" >&2) \
    || die "go install $module failed (is the Go module proxy reachable? GOPROXY=$("$go" env GOPROXY))"
}

# Prints the binary that the function FINDER prints, installing the Debian packages behind the
# install lock first when it prints nothing (the lock is taken only then, and the finder asked
# again under it: another run may have installed it meanwhile). Logs go to stderr.
#   bin=$(deb_binary FINDER NAME PACKAGE...)
deb_binary() {
  local finder=$1 name=$2 bin
  shift 2
  bin=$("$finder")
  if [ -z "$bin" ]; then
    infra_lock
    bin=$("$finder")
  fi
  if [ -z "$bin" ]; then
    log "$name not found; installing the Debian package"
    apt_install "$@"
    bin=$("$finder")
    [ -n "$bin" ] || die "$name still missing after apt-get install"
  fi
  echo "$bin"
}
