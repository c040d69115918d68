import { describe } from 'vitest';

/**
 * A describe block that needs a real server, named by `variable` (set by test/infra/global-setup.ts
 * when MSGXC_TEST_SERVERS names it). Its tests are registered either way: without the server each
 * one is reported skipped, by its own name, with the variable in the block's title, so a run
 * shows exactly what it did not test (and test/run-tier.sh fails on it). `body` runs at
 * collection time even when skipped: connect in hooks or tests, never in `body` itself.
 */
export const needs = (variable: string, title: string, body: (value: string) => void): void => {
  const value = process.env[variable] ?? '';
  const missing = value === '';
  describe.skipIf(missing)(
    missing ? `${title} (skipped: ${variable} is not set; run with MSGXC_TEST_SERVERS)` : title,
    () => {
      body(value);
    },
  );
};
