import { TIERS } from './tiers.js';

// What a guarded run must show, as pure functions over its outcome (test/suite/reporter.ts
// gathers it from vitest): every tier that was asked for ran tests, the tiers did not run at
// the same time, and nothing was skipped that test/allowed-skips.ts does not list.

export interface AllowedSkip {
  /** The test file, relative to the repository root. */
  readonly file: string;
  /** Matches the test's full name (its describe titles and its own, joined by ' > '). */
  readonly test: RegExp;
  /** The skip is allowed only while this variable is unset or empty. */
  readonly unless?: string;
  readonly reason: string;
}

export type State = 'passed' | 'failed' | 'skipped' | 'pending';

export interface Outcome {
  readonly project: string;
  readonly file: string;
  readonly name: string;
  readonly state: State;
}

/** When a project's first file was queued and its last file ended (epoch ms). */
export interface Span {
  readonly project: string;
  readonly start: number;
  readonly end: number;
}

export interface Counts {
  passed: number;
  failed: number;
  skipped: number;
  total: number;
}

export const countsByProject = (tests: readonly Outcome[]): Record<string, Counts> => {
  const out: Record<string, Counts> = {};
  for (const t of tests) {
    const c = (out[t.project] ??= { passed: 0, failed: 0, skipped: 0, total: 0 });
    c.total += 1;
    // A test still pending when the run ended never ran: it counts as skipped.
    if (t.state === 'pending') c.skipped += 1;
    else c[t.state] += 1;
  }
  return out;
};

const allows = (a: AllowedSkip, t: Outcome, env: Readonly<Record<string, string | undefined>>): boolean =>
  t.state === 'skipped' &&
  a.file === t.file &&
  a.test.test(t.name) &&
  (a.unless === undefined || (env[a.unless] ?? '') === '');

/** Skipped (or never run) tests that no entry allows, each as `project file > name`. */
export const unexpectedSkips = (
  tests: readonly Outcome[],
  allowed: readonly AllowedSkip[],
  env: Readonly<Record<string, string | undefined>>,
): string[] =>
  tests
    .filter((t) => (t.state === 'skipped' || t.state === 'pending') && !allowed.some((a) => allows(a, t, env)))
    .map((t) => `${t.project} ${t.file} > ${t.name}${t.state === 'pending' ? ' (never ran)' : ''}`);

/** Pairs of tiers whose runs overlapped in time: a later tier started before an earlier one ended. */
export const overlappingTiers = (spans: readonly Span[]): string[] => {
  const ordered = TIERS.flatMap((tier) => spans.filter((s) => s.project === tier));
  const problems: string[] = [];
  ordered.forEach((earlier, i) => {
    for (const later of ordered.slice(i + 1)) {
      if (later.start < earlier.end)
        problems.push(
          `${later.project} started ${String(earlier.end - later.start)} ms before ${earlier.project} ended`,
        );
    }
  });
  return problems;
};

export interface Expectations {
  readonly allowed: readonly AllowedSkip[];
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Tiers that must have run at least one test. */
  readonly tiers: readonly string[];
}

/** Everything wrong with a run; empty when it may be called green. */
export const verdict = (tests: readonly Outcome[], spans: readonly Span[], e: Expectations): string[] => {
  const counts = countsByProject(tests);
  return [
    ...e.tiers
      .filter((t) => (counts[t]?.total ?? 0) === 0)
      .map((t) => `tier ${t} ran no tests (is the project defined? are its servers named in MSGXC_TEST_SERVERS?)`),
    ...overlappingTiers(spans).map((p) => `tiers overlapped: ${p}`),
    ...unexpectedSkips(tests, e.allowed, e.env).map((s) => `unexpected skip: ${s}`),
  ];
};
