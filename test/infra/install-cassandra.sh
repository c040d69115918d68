#!/usr/bin/env bash
# Installs Apache Cassandra's server jars from Maven Central (cassandra-all and its runtime
# dependencies) into <cache>/cassandra-<version>/lib. Idempotent and safe to run
# concurrently (infra_lock). Prints the install directory on stdout.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
. "$here/versions.env"

cache=$(infra_cache_dir)
home="$cache/cassandra-$CASSANDRA_VERSION"
mkdir -p "$cache"
infra_lock

if [ ! -f "$home/.complete" ]; then
  ensure_java_and_maven
  log "fetching cassandra-all $CASSANDRA_VERSION and its dependencies from Maven Central"
  tmp="$home.partial.$$"
  rm -rf "$tmp"
  trap 'rm -rf "$tmp"' EXIT
  mapfile -t extra < <(mvn_args)
  mvn "${extra[@]}" -f "$here/cassandra/pom.xml" \
    -Dcassandra.version="$CASSANDRA_VERSION" -Dbuild.dir="$tmp/build" -Dlib.dir="$tmp/lib" \
    package >&2
  ls "$tmp"/lib/cassandra-all-"$CASSANDRA_VERSION".jar >/dev/null \
    || die "cassandra-all-$CASSANDRA_VERSION.jar missing after mvn"
  ls "$tmp"/lib/jamm-*.jar >/dev/null || die "jamm agent jar missing after mvn"
  rm -rf "$tmp/build" "$home"
  mv "$tmp" "$home"
  trap - EXIT
  touch "$home/.complete"
  log "installed $(ls "$home/lib" | wc -l) jars, $(du -sh "$home" | cut -f1) in $home"
fi
echo "$home"
