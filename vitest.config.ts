import { defineConfig } from 'vitest/config';

// Test tiers are chosen by file name so each runs alone:
// *.unit.test.ts (no I/O beyond memory), *.int.test.ts (real files, real servers),
// *.e2e.test.ts (the built server process, over HTTP and websockets).
export default defineConfig({
  test: {
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
