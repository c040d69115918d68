import * as E from 'fp-ts/lib/Either.js';
import type { CheckInTally, Commands } from '../../commands/types.js';
import type { Logger } from '../../ports/log.js';
import { createGuard } from '../guard.js';

// The websocket check-in (online time per user), recorded without making a connect a write:
// sessions opening and closing only touch counters in memory, and every `intervalMs` the
// node records what happened in that interval with the check-in command (commands/check-in.ts:
// UsersCheckedIn events in the node's own stream). A node that crashes loses at most one
// interval of check-ins (one that the log refused is retried); presence itself is unaffected.
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

/** Intervals kept for a retry while the log is unavailable (1,000 x the interval: 16 h at the default minute). */
const MAX_PENDING = 1000;

type CheckInsOf = Parameters<Commands['checkIn']>[0];

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
  // Intervals not yet in the log, oldest first. One that failed to append stays at the head and
  // is retried, with the same interval, by the next flush: the search projection keys its
  // documents by node, interval start and user, so an append that failed after all (it was
  // durable but the answer was lost) and is written again gives the same documents.
  const pending: CheckInsOf[] = [];
  let writing: Promise<void> = Promise.resolve();
  const drain = async (): Promise<void> => {
    while (pending.length > 0) {
      const head = pending[0] as CheckInsOf;
      try {
        const r = await deps.record(head);
        // A refusal that is not the log being unavailable (the check-in out of bounds) will
        // not change on a retry.
        if (E.isLeft(r) && r.left.kind === 'unavailable') {
          deps.log.warn(
            { node: deps.node, code: r.left.code, pending: pending.length },
            'check-in append failed; retried',
          );
          return;
        }
        if (E.isLeft(r)) deps.log.warn({ node: deps.node, code: r.left.code }, 'check-in append refused');
      } catch (e: unknown) {
        deps.log.warn(
          { err: e instanceof Error ? e.message : String(e), pending: pending.length },
          'check-in append failed; retried',
        );
        return;
      }
      pending.shift();
    }
  };

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
    if (users.length > 0) pending.push({ node: deps.node, from: new Date(from), to: new Date(to), users });
    from = to;
    // Bounded: a log down for longer than MAX_PENDING intervals loses the oldest (said in the log).
    if (pending.length > MAX_PENDING) {
      const lost = pending.splice(0, pending.length - MAX_PENDING);
      deps.log.warn({ node: deps.node, intervals: lost.length }, 'check-ins dropped: the log was unavailable too long');
    }
    if (pending.length === 0) return writing;
    // One append at a time per node, so intervals land in order.
    writing = writing.then(drain);
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
