import type { Bus } from '../ports/bus.js';

// The live delivery processes that share the log (MSGXC_ROLE=reactors, or nodes of role `all`),
// known from heartbeats on the bus (subject msgxc.reactors.<node>): what a throttle divides its
// limit by (delivery/throttle.ts), so N processes together stay within MSGXC_THROTTLE_<CHANNEL>.
// Each announces itself at start (`hello`: the others answer at once with a `beat`), beats every
// `heartbeatMs`, and says `bye` when it stops. A process is counted until 3 beats are missed,
// so a crashed one lowers the others' share for that long (they send less, never more).
// A new process knows its peers only after one beat interval (every live peer has beaten by
// then): until then `peers()` is undefined and throttled sends wait (docs/campaigns.md).
export const MISSED_BEATS = 3;

export interface Roster {
  /** Live delivery processes, this one included; undefined until one beat interval has passed. */
  peers(): number | undefined;
  /** Resolves once `peers()` is known. */
  known(): Promise<void>;
  close(): Promise<void>;
}

export const startRoster = (o: {
  readonly bus: Bus;
  readonly node: string;
  readonly heartbeatMs: number;
  readonly now: () => number;
}): Roster => {
  const seen = new Map<string, number>();
  let settled = false;
  let settle: NodeJS.Timeout | undefined;
  const known = new Promise<void>((resolve) => {
    settle = setTimeout(() => {
      settled = true;
      resolve();
    }, o.heartbeatMs);
    settle.unref();
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
  return {
    peers: () => {
      if (!settled) return undefined;
      const since = o.now() - MISSED_BEATS * o.heartbeatMs;
      let live = 1;
      for (const [node, at] of seen) {
        if (at >= since) live += 1;
        else seen.delete(node);
      }
      return live;
    },
    known: () => known,
    close: async () => {
      clearInterval(beat);
      clearTimeout(settle);
      o.bus.publish('reactors', o.node, 'bye');
      await o.bus.flush();
      await sub.close();
    },
  };
};
