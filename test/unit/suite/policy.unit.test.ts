import { describe, expect, it } from 'vitest';
import { ALLOWED_SKIPS } from '../../allowed-skips.js';
import { countsByProject, overlappingTiers, unexpectedSkips, verdict, type Outcome } from '../../suite/policy.js';

// The guard of npm test (test/suite/reporter.ts): what makes a run red besides a failing test.
const ESDB = 'test/integration/eventstore-eventstoredb.int.test.ts';
const t = (project: string, file: string, name: string, state: Outcome['state']): Outcome => ({
  project,
  file,
  name,
  state,
});
const esdbSkip = t('integration', ESDB, 'EventStoreDB contract > append > appends with any', 'skipped');

describe('the suite guard', () => {
  it('allows exactly the listed skips, and only while their variable is unset', () => {
    expect(unexpectedSkips([esdbSkip], ALLOWED_SKIPS, {})).toEqual([]);
    expect(unexpectedSkips([esdbSkip], ALLOWED_SKIPS, { MSGXC_EVENTSTORE_URL: '' })).toEqual([]);
    // A server was named but its contract still skipped: that is a broken run, not an expected skip.
    expect(
      unexpectedSkips([esdbSkip], ALLOWED_SKIPS, { MSGXC_EVENTSTORE_URL: 'esdb://127.0.0.1:2113?tls=false' }),
    ).toEqual([`integration ${ESDB} > EventStoreDB contract > append > appends with any`]);
    // The same name in another file, or another test of the file, is not allowed.
    const elsewhere = t('integration', 'test/integration/eventstore-jetstream.int.test.ts', esdbSkip.name, 'skipped');
    const sibling = t(
      'integration',
      ESDB,
      'EventStoreDB adapter without a server > gives every event id a stable UUID',
      'skipped',
    );
    expect(unexpectedSkips([elsewhere, sibling], ALLOWED_SKIPS, {})).toHaveLength(2);
    // A test that never ran (pending at the end) is never allowed.
    expect(unexpectedSkips([{ ...esdbSkip, state: 'pending' }], ALLOWED_SKIPS, {})).toEqual([
      `integration ${ESDB} > ${esdbSkip.name} (never ran)`,
    ]);
  });

  it('lists every allowed skip with a reason', () => {
    expect(ALLOWED_SKIPS.length).toBeGreaterThan(0);
    for (const a of ALLOWED_SKIPS) expect(a.reason.length, a.file).toBeGreaterThan(40);
  });

  it('finds tiers that ran at the same time, in either direction', () => {
    expect(
      overlappingTiers([
        { project: 'unit', start: 0, end: 10 },
        { project: 'integration', start: 10, end: 20 },
        { project: 'e2e', start: 21, end: 30 },
        { project: 'e2e-production', start: 30, end: 40 },
      ]),
    ).toEqual([]);
    expect(
      overlappingTiers([
        { project: 'e2e-production', start: 25, end: 40 },
        { project: 'e2e', start: 20, end: 30 },
      ]),
    ).toEqual(['e2e-production started 5 ms before e2e ended']);
    expect(
      overlappingTiers([
        { project: 'integration', start: 0, end: 50 },
        { project: 'unit', start: 0, end: 10 },
      ]),
    ).toEqual(['integration started 10 ms before unit ended']);
  });

  it('counts per tier and fails a tier that ran nothing', () => {
    const tests = [
      t('unit', 'a', 'x', 'passed'),
      t('unit', 'a', 'y', 'failed'),
      esdbSkip,
      t('e2e', 'b', 'z', 'pending'),
    ];
    expect(countsByProject(tests)).toEqual({
      unit: { passed: 1, failed: 1, skipped: 0, total: 2 },
      integration: { passed: 0, failed: 0, skipped: 1, total: 1 },
      e2e: { passed: 0, failed: 0, skipped: 1, total: 1 },
    });
    expect(
      verdict(tests, [], { allowed: ALLOWED_SKIPS, env: {}, tiers: ['unit', 'integration', 'e2e-production'] }),
    ).toEqual([
      'tier e2e-production ran no tests (is the project defined? are its servers named in MSGXC_TEST_SERVERS?)',
      'unexpected skip: e2e b > z (never ran)',
    ]);
  });
});
