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

apt_updated=no
# Installs Debian packages, refreshing the package index only when apt cannot find them.
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  if ! as_root apt-get install -y -q --no-install-recommends "$@" >&2; then
    [ "$apt_updated" = yes ] && die "apt-get install $* failed"
    log "apt-get install failed; running apt-get update once and retrying"
    as_root apt-get update -q >&2
    apt_updated=yes
    as_root apt-get install -y -q --no-install-recommends "$@" >&2
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
