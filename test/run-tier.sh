#!/usr/bin/env bash
# A guarded run of some test tiers, in order:  test/run-tier.sh unit integration e2e e2e-production
# (npm run test:unit / test:int / test:e2e, and npm test through test/run-all.sh).
#  - starts the real servers the tiers need (test/infra/global-setup.ts), unless
#    MSGXC_TEST_SERVERS is set, which then names them exactly (empty: none);
#  - builds first when an end-to-end tier is asked for (MSGXC_SKIP_BUILD=1: already built);
#  - fails (test/suite/reporter.ts) when a tier ran no tests, when tiers overlapped in time,
#    or when a test was skipped that test/allowed-skips.ts does not list;
#  - keeps vitest's JSON report in MSGXC_TEST_JSON when that names a file.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { echo "usage: $0 unit|integration|e2e|e2e-production ..." >&2; exit 2; }

servers=()
needs_build=no
for tier in "$@"; do
  case "$tier" in
    unit) ;;
    integration) servers+=(nats natscluster natscurrent natscurrentcluster cassandra elastic mosquitto) ;;
    e2e) servers+=(nats); needs_build=yes ;;  # realtime-nodes.e2e: two brokers on one nats-server
    e2e-production) servers+=(nats natscurrentcluster cassandra elastic); needs_build=yes ;;  # current nats-server release (test/e2e/stack.ts)
    *) echo "unknown tier: $tier (unit, integration, e2e, e2e-production)" >&2; exit 2 ;;
  esac
done
if [ -z "${MSGXC_TEST_SERVERS+set}" ]; then
  MSGXC_TEST_SERVERS=$(printf '%s\n' "${servers[@]}" | awk 'NF && !seen[$0]++' | paste -sd, -)
fi
export MSGXC_TEST_SERVERS
if [ "$needs_build" = yes ] && [ "${MSGXC_SKIP_BUILD:-}" != 1 ]; then
  echo "== build"; npx tsc -p tsconfig.build.json
fi

json="${MSGXC_TEST_JSON:-}"
work="$(mktemp -d -t msgxc-suite-XXXXXX)"
trap 'rm -rf "$work"' EXIT
[ -n "$json" ] || json="$work/vitest.json"
export MSGXC_SUITE_GUARD=1 MSGXC_SUITE_TIERS
MSGXC_SUITE_TIERS=$(IFS=,; echo "$*")
export MSGXC_SUITE_REPORT="$work/suite.json"

projects=()
for tier in "$@"; do projects+=(--project "$tier"); done
echo "== tests: $* (servers: ${MSGXC_TEST_SERVERS:-none})"
status=0
npx vitest run "${projects[@]}" --reporter=default --reporter=./test/suite/reporter.ts \
  --reporter=json --outputFile.json="$json" || status=$?

# A plain closing line that any CI reader understands (from vitest's own JSON report).
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
' "$json" || { echo "no vitest JSON report: the run did not finish" >&2; status=1; }
[ -s "$MSGXC_SUITE_REPORT" ] || { echo "no suite report: the tier guard did not run" >&2; status=1; }
exit "$status"
