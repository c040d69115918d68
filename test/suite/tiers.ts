// The test tiers, in the order they run: vitest.config.ts gives each its sequence.groupOrder,
// test/suite/reporter.ts checks the order, and test/run-tier.sh starts the servers each needs.
export const TIERS = ['unit', 'integration', 'e2e', 'e2e-production'] as const;
export type Tier = (typeof TIERS)[number];
