#!/usr/bin/env bash
# `npm test`: every check a submission must pass, from a clean clone after `npm ci`.
# Static checks first (fast failures), then the build the end-to-end tests start, then every
# test tier in order, with the real servers installed and started by
# test/infra/global-setup.ts; any skip not listed in test/allowed-skips.ts fails the run
# (test/run-tier.sh and test/suite/reporter.ts).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== typecheck"; npx tsc -p tsconfig.json --noEmit
echo "== format"; npx biome format .
echo "== lint"; npx eslint --max-warnings 0 .
echo "== build"; npx tsc -p tsconfig.build.json

MSGXC_SKIP_BUILD=1 exec bash test/run-tier.sh unit integration e2e e2e-production
