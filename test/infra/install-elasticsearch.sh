#!/usr/bin/env bash
# Installs Elasticsearch's integration-test distribution (Maven Central artifact
# org.elasticsearch.distribution.integ-test-zip:elasticsearch:<version>:zip, no bundled
# JDK) into <cache>/elasticsearch-<version>. Elasticsearch refuses to run as root, so when
# run as root this also creates the system user msgxc-es and hands the folder to it.
# Idempotent and safe to run concurrently (infra_lock). Prints the install directory on stdout.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
. "$here/versions.env"

es_user=msgxc-es
cache=$(infra_cache_dir)
home="$cache/elasticsearch-$ELASTICSEARCH_VERSION"
mkdir -p "$cache"
infra_lock

if [ "$(id -u)" = 0 ] && ! id "$es_user" >/dev/null 2>&1; then
  log "creating system user $es_user"
  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$es_user"
fi

if [ ! -f "$home/.complete" ]; then
  ensure_java_and_maven
  command -v unzip >/dev/null 2>&1 || apt_install unzip
  artifact="org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ELASTICSEARCH_VERSION:zip"
  log "fetching $artifact from Maven Central"
  tmp="$home.partial.$$"
  rm -rf "$tmp"
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp"
  mapfile -t extra < <(mvn_args)
  # A plugin goal that needs no project: run it from an empty folder.
  (cd "$tmp" && mvn "${extra[@]}" \
    org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy \
    -Dartifact="$artifact" -DoutputDirectory="$tmp/zip" >&2)
  unzip -q "$tmp/zip/elasticsearch-$ELASTICSEARCH_VERSION.zip" -d "$tmp/unpacked"
  rm -rf "$home"
  mv "$tmp/unpacked/elasticsearch-$ELASTICSEARCH_VERSION" "$home"
  rm -rf "$tmp"
  trap - EXIT
  # Zip entries lose their execute bits on the way through Maven.
  chmod +x "$home"/bin/*
  touch "$home/.complete"
  log "installed $(du -sh "$home" | cut -f1) in $home"
fi
if [ "$(id -u)" = 0 ] && [ "$(stat -c %U "$home")" != "$es_user" ]; then
  chown -R "$es_user:" "$home"
  chmod 755 "$cache"
fi
echo "$home"
