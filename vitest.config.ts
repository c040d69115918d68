import { defineConfig } from 'vitest/config';
import { TIERS } from './test/suite/tiers.js';

// Test tiers are chosen by file name so each runs alone:
// *.unit.test.ts (no I/O beyond memory), *.int.test.ts (real files, real servers),
// *.e2e.test.ts (the built server process, over HTTP and websockets).
//
// The tiers run one after another, in TIERS order (sequence.groupOrder): a tier's files may
// run side by side, but never beside another tier's, so the 2-core machine's timings stay
// honest and an end-to-end broker never shares a moment with an integration test's servers.
// test/suite/reporter.ts checks the order on every guarded run (npm test, test:int, test:e2e).

// The end-to-end tests run twice: on the embedded defaults, and on the production stack
// (JetStream R3 + NATS bus + Cassandra + Elasticsearch, see test/e2e/stack.ts) when the
// run starts those servers. The guarded npm scripts always start them; a plain
// `npx vitest run` without them leaves e2e-production out, and says so.
const servers = new Set((process.env['MSGXC_TEST_SERVERS'] ?? '').split(',').map((s) => s.trim()));
// Its NATS cluster: the current nats-server release (natscurrentcluster) if the run starts
// it, else Debian's 2.9 (natscluster); see test/e2e/stack.ts.
const productionStack =
  ['cassandra', 'elastic'].every((s) => servers.has(s)) &&
  (servers.has('natscurrentcluster') || servers.has('natscluster'));
if (!productionStack && process.env['VITEST_QUIET_STACK'] === undefined) {
  process.stderr.write(
    '[msgxc] e2e-production left out: MSGXC_TEST_SERVERS lacks natscurrentcluster (or natscluster),cassandra,elastic\n',
  );
}

const order = (tier: (typeof TIERS)[number]): { groupOrder: number } => ({ groupOrder: TIERS.indexOf(tier) + 1 });

// Files that only mean something on the production stack (two broker processes on one
// shared log: the embedded log has a single writer). Not part of the embedded project, so
// they are neither run there nor reported as skipped.
const productionOnly = [
  'test/e2e/multinode.e2e.test.ts',
  'test/e2e/idempotency-nodes.e2e.test.ts',
  'test/e2e/reactor-nodes.e2e.test.ts',
  'test/e2e/reactor-snapshot.e2e.test.ts',
  'test/e2e/throttle-nodes.e2e.test.ts',
];

// Files that only mean something on the embedded stack. Not part of the production project, so
// neither run nor reported as skipped there.
// - http-threads: worker threads sharing the embedded log's one writer; the production stack
//   refuses the setting, a unit test says so.
// - gdpr-files: reads the SQLite files of the read models and search; the production stack keeps
//   them in Cassandra and Elasticsearch (its erasure is tested by gdpr.e2e).
const embeddedOnly = ['test/e2e/http-threads.e2e.test.ts', 'test/e2e/gdpr-files.e2e.test.ts'];

const e2e = (name: 'e2e' | 'e2e-production', env: Record<string, string>) => ({
  test: {
    name,
    include: ['test/**/*.e2e.test.ts'],
    exclude: name === 'e2e' ? productionOnly : embeddedOnly,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    env,
    // Drops the file's production-stack keyspaces and indices when it ends (test/e2e/drop-stores.ts).
    setupFiles: ['test/e2e/drop-stores.ts'],
    sequence: order(name),
    // End-to-end files each start server processes on free ports; running them one at a
    // time keeps timings honest on a 2-core machine.
    pool: 'forks' as const,
    poolOptions: { forks: { singleFork: true } },
  },
});

export default defineConfig({
  test: {
    // Starts the real servers named in MSGXC_TEST_SERVERS (npm test names them all) once for
    // the whole run, and stops them at the end, also when tests fail. Without the variable
    // it starts nothing, and tests that need a server report themselves skipped, one by one.
    globalSetup: ['test/infra/global-setup.ts'],
    projects: [
      { test: { name: 'unit', include: ['test/**/*.unit.test.ts'], testTimeout: 10_000, sequence: order('unit') } },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.int.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 180_000,
          sequence: order('integration'),
        },
      },
      e2e('e2e', { MSGXC_E2E_STACK: 'embedded' }),
      ...(productionStack ? [e2e('e2e-production', { MSGXC_E2E_STACK: 'production' })] : []),
    ],
  },
});
