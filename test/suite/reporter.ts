import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { Reporter, TestModule, Vitest } from 'vitest/node';
import { ALLOWED_SKIPS } from '../allowed-skips.js';
import { countsByProject, verdict, type Outcome, type Span } from './policy.js';
import { TIERS } from './tiers.js';

// A vitest reporter for the guarded runs (test/run-tier.sh, used by npm test, test:int and
// test:e2e). It prints the tests per tier, and with MSGXC_SUITE_GUARD=1 fails the run
// (exit code 1) when a tier in MSGXC_SUITE_TIERS ran nothing, when two tiers ran at the same
// time, or when a test was skipped that test/allowed-skips.ts does not allow.
// MSGXC_SUITE_REPORT=<file> also writes the outcome as JSON.
export default class SuiteReporter implements Reporter {
  private root = process.cwd();
  private readonly spans = new Map<string, { start: number; end: number }>();

  onInit(ctx: Vitest): void {
    this.root = ctx.config.root;
  }

  onTestModuleQueued(m: TestModule): void {
    const s = this.spans.get(m.project.name);
    const now = Date.now();
    this.spans.set(m.project.name, { start: Math.min(s?.start ?? now, now), end: s?.end ?? now });
  }

  onTestModuleEnd(m: TestModule): void {
    const now = Date.now();
    const s = this.spans.get(m.project.name) ?? { start: now, end: now };
    this.spans.set(m.project.name, { start: s.start, end: Math.max(s.end, now) });
  }

  onTestRunEnd(modules: readonly TestModule[]): void {
    const tests: Outcome[] = modules.flatMap((m) =>
      [...m.children.allTests()].map((t) => ({
        project: m.project.name,
        file: relative(this.root, m.moduleId),
        name: t.fullName,
        state: t.result().state,
      })),
    );
    const spans: Span[] = [...this.spans].map(([project, s]) => ({ project, ...s }));
    const counts = countsByProject(tests);
    const say = (line: string): void => {
      process.stdout.write(`[msgxc-suite] ${line}\n`);
    };
    for (const tier of [...TIERS, ...Object.keys(counts).filter((p) => !(TIERS as readonly string[]).includes(p))]) {
      const c = counts[tier];
      if (c !== undefined)
        say(
          `tier ${tier}: ${String(c.total)} tests, ${String(c.passed)} passed, ${String(c.failed)} failed, ${String(c.skipped)} skipped`,
        );
    }
    const guarded = process.env['MSGXC_SUITE_GUARD'] === '1';
    const wanted = (process.env['MSGXC_SUITE_TIERS'] ?? '').split(',').filter((t) => t !== '');
    const problems = guarded ? verdict(tests, spans, { allowed: ALLOWED_SKIPS, env: process.env, tiers: wanted }) : [];
    const report = process.env['MSGXC_SUITE_REPORT'];
    if (report !== undefined && report !== '') {
      writeFileSync(
        report,
        JSON.stringify(
          { counts, spans, problems, skipped: tests.filter((t) => t.state === 'skipped' || t.state === 'pending') },
          null,
          2,
        ),
      );
    }
    if (problems.length === 0) return;
    for (const p of problems) say(`FAIL ${p}`);
    say(
      `${String(problems.length)} problem(s): a guarded run must run every tier, in order, with no skip outside test/allowed-skips.ts`,
    );
    process.exitCode = 1;
  }
}
