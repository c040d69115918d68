#!/usr/bin/env bash
# msgxc against Centrifugo (bench/centrifugo/compare.ts): builds Centrifugo once into the
# test/infra cache (install.sh, from the Go module proxy), the broker (dist/) and the Go load
# client, raises the open-file limit as far as allowed, and runs the comparison. The table
# goes to stdout (ready for BENCHMARKS.md), progress to stderr.
#   bash bench/centrifugo/compare.sh [--quick] [--runs N] [--connections N] [--messages N]
#     [--publishers N] [--paced N] [--pace-ms N] [--no-memory]
#     [--servers msgxc,centrifugo,msgxc-reactors-off,msgxc-reactors-thread,msgxc-baseline,uws-bare]
#   msgxc-baseline: BENCH_BASELINE_ROOT=<another checkout with dist/ built> (e.g. main), alternated.
#   msgxc+KEY=VALUE[+KEY=VALUE] (or msgxc-baseline+...): that build with these settings in its environment.
set -euo pipefail
cd "$(dirname "$0")/../.."
ulimit -n "$(ulimit -Hn)"
export CENTRIFUGO_BIN
CENTRIFUGO_BIN=$(bash bench/centrifugo/install.sh)
npx tsc -p tsconfig.build.json
(cd bench/fanout-client && go build -o ../../dist/bench/fanout-client .)
exec node dist/bench/centrifugo/compare.js "$@"
