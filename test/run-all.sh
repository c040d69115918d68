#!/usr/bin/env bash
# `npm test`: every check a submission must pass, from a clean clone after `npm ci`.
# Static checks first (fast failures), then the build the end-to-end tests start, then every
# test tier, with the real servers installed and started by test/infra/global-setup.ts.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== typecheck"; npx tsc -p tsconfig.json --noEmit
echo "== lint"; npx eslint --max-warnings 0 .
echo "== build"; npx tsc -p tsconfig.build.json

# Every real server the integration and end-to-end tiers use (see test/infra/README.md).
export MSGXC_TEST_SERVERS="${MSGXC_TEST_SERVERS-nats,natscluster,natscurrent,natscurrentcluster,cassandra,elastic,mosquitto}"

report="$(mktemp -t msgxc-vitest-XXXXXX.json)"
trap 'rm -f "$report"' EXIT
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" || status=$?

# A plain closing line that any CI reader understands.
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
' "$report" || true
exit "$status"
