import * as E from 'fp-ts/lib/Either.js';
import type { CheckInTally, Commands } from '../../commands/types.js';
import type { Logger } from '../../ports/log.js';
import { createGuard } from '../guard.js';

// The websocket check-in (online time per user), recorded without making a connect a write:
// sessions opening and closing only touch counters in memory, and every `intervalMs` the
// node records what happened in that interval with the check-in command (commands/check-in.ts:
// UsersCheckedIn events in the node's own stream). A node that crashes loses at most one
// interval of check-ins; presence itself is unaffected.
interface Tally {
  sessions: number;
  opened: number;
  closed: number;
  onlineMs: number;
  since: number;
}

export interface CheckIn {
  opened(uid: string): void;
  closed(uid: string): void;
  /** Writes the current interval now (on shutdown, and in tests). */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

export const createCheckIn = (deps: {
  record: Commands['checkIn'];
  node: string;
  intervalMs: number;
  now: () => number;
  log: Logger;
}): CheckIn => {
  const tallies = new Map<string, Tally>();
  let from = deps.now();
  const tally = (uid: string, t: number): Tally => {
    const x = tallies.get(uid) ?? { sessions: 0, opened: 0, closed: 0, onlineMs: 0, since: t };
    // Session time accrues as (open sessions) x (time since the last change).
    x.onlineMs += x.sessions * (t - x.since);
    x.since = t;
    tallies.set(uid, x);
    return x;
  };
  let writing: Promise<void> = Promise.resolve();

  const flush = (): Promise<void> => {
    const to = deps.now();
    const users: CheckInTally[] = [];
    for (const [uid, x] of tallies) {
      tally(uid, to);
      if (x.sessions > 0 || x.opened > 0 || x.closed > 0)
        users.push({ uid, sessions: x.sessions, opened: x.opened, closed: x.closed, onlineMs: Math.round(x.onlineMs) });
      if (x.sessions === 0) tallies.delete(uid);
      else {
        x.opened = 0;
        x.closed = 0;
        x.onlineMs = 0;
      }
    }
    const checkIns = { node: deps.node, from: new Date(from), to: new Date(to), users };
    from = to;
    if (users.length === 0) return writing;
    // One append at a time per node, so intervals land in order.
    writing = writing
      .then(async () => {
        const r = await deps.record(checkIns);
        if (E.isLeft(r)) deps.log.warn({ node: deps.node, code: r.left.code }, 'check-in append refused');
      })
      .catch((e: unknown) => {
        deps.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'check-in append failed');
      });
    return writing;
  };

  const timer = setInterval(
    createGuard(deps.log)('check-in flush', () => {
      void flush();
    }),
    deps.intervalMs,
  );
  timer.unref();
  return {
    opened: (uid) => {
      const x = tally(uid, deps.now());
      x.sessions += 1;
      x.opened += 1;
    },
    closed: (uid) => {
      const x = tally(uid, deps.now());
      x.sessions = Math.max(0, x.sessions - 1);
      x.closed += 1;
    },
    flush,
    stop: async () => {
      clearInterval(timer);
      await flush();
    },
  };
};
