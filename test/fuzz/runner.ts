import fc from 'fast-check';
import type { Server } from '../e2e/harness.js';
import { Callers, USERS } from './actors.js';
import { burstArb, runBurst, type BurstCase } from './burst.js';
import { knownBugs } from './corpus.js';
import type { ApiDoc } from './api-doc.js';
import { flowArb, type FlowCase } from './flows.js';
import { anyHttpCase, type HttpCase } from './http-case.js';
import { runHttpCase } from './http-run.js';
import { alive, LogWatch } from './oracles.js';
import { rawCaseArb, type RawCase } from './raw-cases.js';
import { runRawCase } from './raw-run.js';
import { Reader } from './reader.js';
import type { World } from './world.js';
import { wsCaseArb, type WsCase } from './ws-frames.js';
import { runWsCase, type Session } from './ws-run.js';

// Runs cases against one server: every case through its own oracles, then the ones every
// case shares (the process alive and answering, nothing at error level in its log).
export type Case = HttpCase | FlowCase | WsCase | RawCase | BurstCase;

export interface Fuzzer {
  readonly server: Server;
  readonly doc: ApiDoc;
  readonly frameTypes: readonly string[];
  readonly callers: Callers;
  readonly reader: Reader;
  readonly world: World;
  readonly log: LogWatch;
  /** A session that must keep answering whatever other sessions do. */
  sentinel: Session;
  readonly reopenSentinel: () => Promise<Session>;
  readonly counts: Map<string, number>;
  readonly statuses: Map<string, number>;
  /** MSGXC_FUZZ_SURVEY=1: every kind of problem seen, with a count and an example. */
  readonly survey: Map<string, { count: number; example: string }>;
}

export const caseArb = (f: Pick<Fuzzer, 'doc' | 'frameTypes'>): fc.Arbitrary<Case> =>
  fc.oneof(
    { weight: 12, arbitrary: anyHttpCase(f.doc) },
    { weight: 2, arbitrary: flowArb(f.doc) },
    { weight: 1, arbitrary: burstArb(f.doc) },
    { weight: 4, arbitrary: wsCaseArb(f.frameTypes) },
    { weight: 1, arbitrary: rawCaseArb },
  );

const bump = (m: Map<string, number>, k: string, by = 1): void => {
  m.set(k, (m.get(k) ?? 0) + by);
};

let rawRequests = 0;

const sentinelAnswers = async (f: Fuzzer): Promise<string[]> => {
  if (f.sentinel.closed !== undefined) {
    const was = f.sentinel.closed;
    f.sentinel = await f.reopenSentinel();
    if (was.code !== 4029) return [`the sentinel session (another user's) was closed with ${was.code} ${was.reason}`];
  }
  const id = `sentinel-${f.sentinel.frames.length}`;
  const from = f.sentinel.frames.length;
  f.sentinel.ws.send(JSON.stringify({ type: 'ping', id }));
  const got = await f.sentinel.wait(from, (x) => x.type === 'pong' && x['id'] === id, 10_000);
  return typeof got === 'object' ? [] : [`the sentinel session (another user's) did not answer a ping: ${got}`];
};

const runOne = async (f: Fuzzer, c: Case): Promise<string[]> => {
  const http = {
    port: f.server.port,
    doc: f.doc,
    callers: f.callers,
    reader: f.reader,
    world: f.world,
    seen: f.statuses,
  };
  switch (c.kind) {
    case 'http':
      return runHttpCase(c, f.world.resolver(), http);
    case 'flow': {
      for (const [i, s] of c.steps.entries()) {
        const p = await runHttpCase(s, f.world.resolver(), http);
        if (p.length > 0) return p.map((x) => `flow step ${i + 1}/${c.steps.length}: ${x}`);
      }
      return [];
    }
    case 'ws': {
      bump(f.counts, 'ws frames', c.frames.length);
      const p = await runWsCase(c, f.world.resolver(), {
        port: f.server.port,
        path: f.doc.wsPath,
        callers: f.callers,
        reader: f.reader,
        world: f.world,
      });
      return [...p, ...(await sentinelAnswers(f))];
    }
    case 'burst':
      return runBurst(c, http);
    case 'raw': {
      rawRequests += 1;
      const token = await f.callers.tokenFor(USERS[0]);
      const ctx = { token, freshTid: f.world.freshId(), requestId: `fz-raw-${f.world.tag}-${rawRequests}` };
      return runRawCase(c, ctx, f.server, f.reader);
    }
    default: {
      const never: never = c;
      return never;
    }
  }
};

/**
 * One case and the oracles every case shares; what went wrong, or nothing. Problems of a known
 * bug (corpus.ts) are counted rather than returned, unless `strict` (the corpus run).
 */
export const runCase = async (f: Fuzzer, c: Case, strict = false): Promise<string[]> => {
  bump(f.counts, c.kind === 'raw' ? `raw: ${c.template}` : c.kind);
  const started = performance.now();
  let problems: string[];
  try {
    problems = await runOne(f, c);
  } catch (e) {
    problems = [`the case could not run: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`];
  }
  problems.push(...(await alive(f.server)), ...f.log.problems());
  bump(f.counts, `ms ${c.kind}`, Math.round(performance.now() - started));
  if (strict) return problems;
  const known = knownBugs();
  return problems.filter((p) => {
    const bug = known.find((k) => k.matches.test(p));
    if (bug !== undefined) bump(f.counts, `known bug (${bug.fix.split(':')[0] ?? ''})`);
    return bug === undefined;
  });
};
