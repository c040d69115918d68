import fc from 'fast-check';
import type { Server } from '../e2e/harness.js';
import { Callers, USERS } from './actors.js';
import { readApiDoc } from './api-doc.js';
import { send } from './http-client.js';
import { LogWatch } from './oracles.js';
import { missingRules } from './readback.js';
import { Reader } from './reader.js';
import { caseArb, runCase, type Case, type Fuzzer } from './runner.js';
import { World } from './world.js';
import { recheckWorld } from './world-check.js';
import { openSession, type Session } from './ws-run.js';

// A fuzzing campaign against one server process: learn the API from the server itself, then
// run seeds, each for a time budget, with fast-check generating the cases (and shrinking a
// failing one). A seed and, for a failure, a path replay a case exactly (MSGXC_FUZZ_SEED,
// MSGXC_FUZZ_PATH); the server's ids differ between runs, the cases name them by index.

/** The frame types the server accepts, from its own answer to an unknown one ("expected one of a, b"). */
const frameTypesOf = async (s: Session): Promise<string[]> => {
  const from = s.frames.length;
  s.ws.send(JSON.stringify({ type: 'fz-probe', id: 'probe' }));
  const e = await s.wait(from, (f) => f.type === 'error' && f['id'] === 'probe');
  const msg = typeof e === 'object' ? String(e['msg']) : '';
  const list = /expected one of (.+)$/.exec(msg)?.[1];
  if (list === undefined)
    throw new Error(`cannot learn the frame types from the server's answer: ${JSON.stringify(e)}`);
  return list.split(',').map((t) => t.trim());
};

export const prepare = async (server: Server, tag: string): Promise<Fuzzer> => {
  const o = await send(server.port, { method: 'GET', target: '/api/v2/openapi.json', headers: {} });
  if ('unanswered' in o) throw new Error(`no OpenAPI document: ${o.unanswered}`);
  const doc = readApiDoc(o.answered.json);
  const missing = missingRules(doc.operations.map((op) => op.key));
  if (missing.length > 0)
    throw new Error(`write routes without a read-back rule (test/fuzz/readback*.ts): ${missing.join(', ')}`);
  const callers = new Callers(tag);
  const reader = new Reader(server.port, callers);
  // The raw cases' token, verified once, so that a pipelined command can run within one read.
  await reader.as(USERS[0], [], 'GET', '/api/v2/inbox');
  const reopenSentinel = async (): Promise<Session> => {
    const s = await openSession(server.port, doc.wsPath, `Bearer ${await callers.tokenFor('fz-sentinel')}`);
    if ('refused' in s) throw new Error(`the sentinel session could not open: ${s.refused}`);
    return s;
  };
  const sentinel = await reopenSentinel();
  return {
    server,
    doc,
    frameTypes: await frameTypesOf(sentinel),
    callers,
    reader,
    world: new World(tag),
    log: new LogWatch(server),
    sentinel,
    reopenSentinel,
    counts: new Map(),
    statuses: new Map(),
    survey: new Map(),
  };
};

export interface SeedRun {
  readonly seed: number;
  readonly cases: number;
  readonly seconds: number;
  /** What went wrong, with the failing case, the shrunk one and how to replay them; undefined when all passed. */
  readonly failure?: string;
}

class BudgetSpent extends Error {}

/** MSGXC_FUZZ_SURVEY=1: go on after a failing case, and gather every kind of problem seen (a development aid). */
const record = (f: Fuzzer, c: Case, problems: readonly string[]): void => {
  for (const p of problems) {
    const kind = p
      .replace(/\/[^\s]*/g, '/…')
      .replace(/\d+/g, 'N')
      .slice(0, 160);
    const seen = f.survey.get(kind);
    if (seen === undefined)
      f.survey.set(kind, { count: 1, example: `${p.slice(0, 600)}\n    case: ${fc.stringify(c).slice(0, 600)}` });
    else seen.count += 1;
  }
};
const MAX_RUNS = 2 ** 30;

const explain = (c: Case | undefined, problems: readonly string[]): string =>
  `${problems.map((p) => p.slice(0, 2000)).join('\n')}\n  case: ${c === undefined ? '?' : fc.stringify(c).slice(0, 4000)}`;

/** Runs cases from `seed` until `budgetMs` pass; a failing case is then shrunk for up to `shrinkMs`. */
export const runSeed = async (
  f: Fuzzer,
  seed: number,
  budgetMs: number,
  shrinkMs: number,
  path?: string,
): Promise<SeedRun> => {
  const survey = process.env['MSGXC_FUZZ_SURVEY'] === '1';
  const started = Date.now();
  const arb = caseArb(f);
  let cases = 0;
  let first: { c: Case; problems: string[] } | undefined;
  const deadline = started + budgetMs;
  const phase1 = await fc.check(
    fc.asyncProperty(arb, async (c) => {
      if (Date.now() > deadline) throw new BudgetSpent();
      cases += 1;
      const problems = await runCase(f, c);
      if (problems.length > 0 && survey) record(f, c, problems);
      else if (problems.length > 0) {
        first = { c, problems };
        throw new Error(problems.join('\n'));
      }
    }),
    // With a path, fast-check replays that one case (numRuns 1: otherwise, if it passes, it
    // goes on generating from there); without, cases until the budget is spent.
    { seed, numRuns: path === undefined ? MAX_RUNS : 1, endOnFailure: true, ...(path !== undefined ? { path } : {}) },
  );
  const seconds = (Date.now() - started) / 1000;
  if (!phase1.failed || phase1.errorInstance instanceof BudgetSpent) {
    const lost = await recheckWorld(f.reader, f.world);
    return lost.length === 0
      ? { seed, cases, seconds }
      : { seed, cases, seconds, failure: `after the run:\n${lost.join('\n')}` };
  }
  // Shrink: replay the failing case from its path and try smaller ones, for a bounded time.
  let smallest: { c: Case; problems: string[] } | undefined;
  const shrinkEnd = Date.now() + shrinkMs;
  const phase2 = await fc.check(
    fc.asyncProperty(arb, async (c) => {
      if (Date.now() > shrinkEnd) return;
      const problems = await runCase(f, c);
      if (problems.length > 0) {
        smallest = { c, problems };
        throw new Error(problems.join('\n'));
      }
    }),
    { seed, path: phase1.counterexamplePath ?? '', numRuns: 1 },
  );
  const replay = `MSGXC_FUZZ_SEED=${seed} MSGXC_FUZZ_PATH=${phase1.counterexamplePath ?? ''}`;
  const shrunk =
    phase2.failed && smallest !== undefined
      ? `\nshrunk (${phase2.numShrinks} steps; replay with MSGXC_FUZZ_SEED=${seed} MSGXC_FUZZ_PATH=${phase2.counterexamplePath ?? ''}):\n${explain(smallest.c, smallest.problems)}`
      : '\n(the replayed case passed on its own: it depends on the cases before it)';
  return {
    seed,
    cases,
    seconds,
    failure: `seed ${seed}, case ${cases} (replay: ${replay}):\n${explain(first?.c, first?.problems ?? [])}${shrunk}`,
  };
};
