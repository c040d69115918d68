import { randomUUID } from 'node:crypto';
import type { EventStore, EventToAppend } from '../../ports/eventstore.js';
import { streams } from '../../schema/events.js';
import type { Logger } from '../../ports/log.js';
import { createGuard } from '../guard.js';

// The websocket check-in (online time per user), recorded without making a connect a write:
// sessions opening and closing only touch counters in memory, and every `intervalMs` the
// node appends what happened in that interval as `UsersCheckedIn` events (one per 1000 users)
// to its own stream `presence-<node>`, so nodes never contend for one stream. A node that
// crashes loses at most one interval of check-ins; presence itself is unaffected.
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

const PER_EVENT = 1000;

export const createCheckIn = (deps: {
  store: EventStore;
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
    const users: { uid: string; sessions: number; opened: number; closed: number; onlineMs: number }[] = [];
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
    const interval = { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
    from = to;
    if (users.length === 0) return writing;
    const events: EventToAppend[] = [];
    for (let i = 0; i < users.length; i += PER_EVENT) {
      events.push({
        type: 'UsersCheckedIn',
        data: { node: deps.node, ...interval, users: users.slice(i, i + PER_EVENT) },
        metadata: {
          eventId: randomUUID(),
          occurredAt: interval.to,
          actor: { uid: `node:${deps.node}`, roles: ['system'] },
          correlationId: `checkin:${deps.node}:${interval.to}`,
          causationId: `checkin:${deps.node}:${interval.to}`,
        },
      });
    }
    // One append at a time per node, so intervals land in order.
    writing = writing
      .then(async () => {
        const r = await deps.store.append(streams.presence(deps.node), events, 'any');
        if (r.kind !== 'appended') deps.log.warn({ node: deps.node }, 'check-in append refused');
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
