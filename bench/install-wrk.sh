#!/usr/bin/env bash
# Installs wrk (the HTTP benchmarks' load generator) from Debian's packages if it is missing,
# behind test/infra's install lock (so it never collides with the test suite's apt-get runs).
# Idempotent. Prints the absolute path of the wrk binary on stdout.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../test/infra/lib.sh"

find_wrk() { command -v wrk 2>/dev/null || true; }

bin=$(deb_binary find_wrk wrk wrk)
echo "$bin"
