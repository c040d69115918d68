import { defineConfig } from 'vitest/config';

// Test tiers are chosen by file name so each runs alone:
// *.unit.test.ts (no I/O beyond memory), *.int.test.ts (real files, real servers),
// *.e2e.test.ts (the built server process, over HTTP and websockets).
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
      {
        test: {
          name: 'e2e',
          include: ['test/**/*.e2e.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // End-to-end files each start server processes on free ports; running them one at a
          // time keeps timings honest on a 2-core machine.
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
        },
      },
    ],
  },
});
