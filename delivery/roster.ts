import { JITTER_MS } from '../domain/throttle.js';
import type { Bus } from '../ports/bus.js';

// The live delivery processes that share the log (MSGXC_ROLE=reactors, or nodes of role `all`),
// known from heartbeats on the bus (subject msgxc.reactors.<node>): how a throttle divides its
// limit (delivery/throttle.ts), so N processes together stay within MSGXC_THROTTLE_<CHANNEL>.
// Each announces itself at start (`hello`: the others answer at once with a `beat`), beats every
// `heartbeatMs`, and says `bye` when it stops. A process is counted until 3 beats are missed,
// so a crashed one lowers the others' share for that long (they send less, never more).
//
// The share of a limit of N is floor(N / live) plus one for the first N mod live processes in
// name order, so together they use all of N; a process whose view holds more processes than
// the live ones (a peer not yet expired) gets no more than its true share, so the sum stays
// within N while views differ (docs/campaigns.md).
//
// A view holding fewer processes than the live ones is the danger: a process that counts a
// live peer as gone sends that peer's share too. Two ways it happens, both closed here:
// - A newcomer. The others hear its hello at once and lower their shares, but they sent at the
//   higher share during the last second: it waits one beat interval (it has heard every live
//   peer by then) plus a window of a second (their higher-share sends have left every window).
// - A process that stopped listening: an event loop blocked for seconds (a loaded machine, a
//   long pause), or a bus connection that was cut. When it runs again its timers fire before
//   the beats queued on its socket are read, so every peer looks silent, and its peers may have
//   dropped it and sent its share meanwhile. A ticker notices the gap (it ran late), and the
//   process is "deaf": it sends nothing until it has listened for a beat interval plus a
//   window (by then the others have heard its beat, lowered their shares, and their
//   higher-share sends have left every window). The end-to-end test stops a reactor process
//   (SIGSTOP) for longer than the expiry and checks the outboxes' windows.
// What stays open: a bus that loses beats for 3 intervals while both sides keep sending lets
// both send more; that is the price of not coordinating each send (docs/campaigns.md).
export const MISSED_BEATS = 3;
/** A window of a second, as the bucket counts it (a second plus its jitter slack). */
const WINDOW_MS = 1000 + JITTER_MS;

export interface Roster {
  /** This process's part of a limit of `perSecond`; undefined while it must not send. */
  part(perSecond: number): number | undefined;
  /** Resolves once `part` may be defined again. */
  known(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The share of the process at `rank` (0-based, name order) among `live` processes: equal whole
 * shares, the remainder to the first ones, at least 1 (with more processes than N a second,
 * each still sends 1 and the sum exceeds N: docs/campaigns.md).
 */
export const shareOf = (perSecond: number, live: number, rank: number): number =>
  Math.max(1, Math.floor(perSecond / live) + (rank < perSecond % live ? 1 : 0));

export const startRoster = (o: {
  readonly bus: Bus;
  readonly node: string;
  readonly heartbeatMs: number;
  readonly now: () => number;
}): Roster => {
  const seen = new Map<string, number>();
  const tickMs = Math.max(1, Math.floor(o.heartbeatMs / 2));
  const started = o.now();
  // Until this time nothing is sent: the newcomer's wait, or a deaf process's.
  let deafUntil = started + o.heartbeatMs + WINDOW_MS;
  let lastTick = started;
  const deafen = (now: number): void => {
    deafUntil = Math.max(deafUntil, now + o.heartbeatMs + WINDOW_MS);
  };
  // A ticker that ran late by more than half a beat interval: the loop was blocked.
  const lateBy = (now: number): number => now - lastTick - tickMs;
  const tick = setInterval(() => {
    const now = o.now();
    if (lateBy(now) > tickMs) deafen(now);
    lastTick = now;
  }, tickMs);
  tick.unref();
  const stopInterrupted = o.bus.onInterrupted(() => {
    deafen(o.now());
  });
  const sub = o.bus.subscribe('reactors', (from, payload) => {
    if (from === o.node) return;
    if (payload === 'bye') {
      seen.delete(from);
      return;
    }
    seen.set(from, o.now());
    if (payload === 'hello') o.bus.publish('reactors', o.node, 'beat');
  });
  o.bus.publish('reactors', o.node, 'hello');
  const beat = setInterval(() => {
    o.bus.publish('reactors', o.node, 'beat');
  }, o.heartbeatMs);
  beat.unref();
  /** The live processes' names, this one's included, in name order; undefined while deaf. */
  const view = (): string[] | undefined => {
    const now = o.now();
    // Checked here too: a throttle's timer may fire before the late ticker does.
    if (lateBy(now) > tickMs) deafen(now);
    if (now < deafUntil) return undefined;
    const since = now - MISSED_BEATS * o.heartbeatMs;
    const live = [o.node];
    for (const [node, at] of seen) {
      if (at >= since) live.push(node);
      else seen.delete(node);
    }
    return live.sort();
  };
  return {
    part: (perSecond) => {
      const live = view();
      return live === undefined ? undefined : shareOf(perSecond, live.length, live.indexOf(o.node));
    },
    known: () => {
      if (view() !== undefined) return Promise.resolve();
      return new Promise((resolve) => setTimeout(resolve, Math.max(1, deafUntil - o.now())));
    },
    close: async () => {
      clearInterval(beat);
      clearInterval(tick);
      stopInterrupted();
      o.bus.publish('reactors', o.node, 'bye');
      await o.bus.flush();
      await sub.close();
    },
  };
};
