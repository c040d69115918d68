#!/usr/bin/env bash
# Fan-out benchmark (see bench/fanout.ts): raises the open-file limit as far as allowed, builds
# the broker and the Go load client, and runs it. Numbers go to BENCHMARKS.md by hand.
#   BENCH_CONNECTIONS (10000) BENCH_MESSAGES (200) BENCH_CONCURRENCY (8) BENCH_IDLE_CONNECTIONS (20000)
set -euo pipefail
cd "$(dirname "$0")/.."
hard=$(ulimit -Hn)
ulimit -n "$hard"
want=${BENCH_IDLE_CONNECTIONS:-20000}
# One broker process holds every idle socket plus its own files: stay under its limit.
if [ "$hard" != unlimited ] && [ "$want" -gt $((hard - 200)) ]; then
  echo "open-file limit is $hard (hard): measuring idle memory at $((hard - 200)) connections instead of $want" >&2
  export BENCH_IDLE_CONNECTIONS=$((hard - 200))
fi
npx tsc -p tsconfig.build.json || echo "tsc reported errors (see above); benchmarking what was emitted" >&2
(cd bench/fanout-client && go build -o ../../dist/bench/fanout-client .)
exec node dist/bench/fanout.js
