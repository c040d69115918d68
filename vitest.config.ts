import { defineConfig } from 'vitest/config';

// Test tiers are chosen by file name so each runs alone:
// *.unit.test.ts (no I/O beyond memory), *.int.test.ts (real files, real servers),
// *.e2e.test.ts (the built server process, over HTTP and websockets).

// The end-to-end tests run twice: on the embedded defaults, and on the production stack
// (JetStream R3 + NATS bus + Cassandra + Elasticsearch, see test/e2e/stack.ts) when the
// run starts those servers.
const servers = new Set((process.env['MSGXC_TEST_SERVERS'] ?? '').split(',').map((s) => s.trim()));
// Its NATS cluster: the current nats-server release (natscurrentcluster) if the run starts
// it, else Debian's 2.9 (natscluster); see test/e2e/stack.ts.
const productionStack = ['cassandra', 'elastic'].every((s) => servers.has(s)) && (servers.has('natscurrentcluster') || servers.has('natscluster'));
if (!productionStack && process.env['VITEST_QUIET_STACK'] === undefined) {
  process.stderr.write('[msgxc] e2e-production skipped: MSGXC_TEST_SERVERS lacks natscurrentcluster (or natscluster),cassandra,elastic\n');
}

const e2e = (name: string, env: Record<string, string>) => ({
  test: {
    name,
    include: ['test/**/*.e2e.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    env,
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
    // it starts nothing, and tests that need a server report themselves skipped.
    globalSetup: ['test/infra/global-setup.ts'],
    projects: [
      { test: { name: 'unit', include: ['test/**/*.unit.test.ts'], testTimeout: 10_000 } },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.int.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
      e2e('e2e', { MSGXC_E2E_STACK: 'embedded' }),
      ...(productionStack ? [e2e('e2e-production', { MSGXC_E2E_STACK: 'production' })] : []),
    ],
  },
});
