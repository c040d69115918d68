import { burstOf, freshBucket, take } from '../domain/throttle.js';
import type { Bucket, Limit } from '../domain/throttle.js';
import type { Channel, Content, Delivery, Outcome } from '../ports/channel.js';
import type { DispatchChannel } from '../schema/triage-events.js';
import type { ChannelMap } from './types.js';

// Throttling per channel (MSGXC_THROTTLE_<CHANNEL>, docs/campaigns.md): a throttled channel's
// provider calls are cut into pieces its token bucket (domain/throttle.ts) allows, at the call
// itself, so the provider sees the limit exactly. Calls waiting for tokens are served by urgency
// (higher first, then in arrival order), so an urgent message goes first within the limit while
// a broadcast is being paced. Dispatch keeps a throttled channel's jobs to about a second of
// sends (dispatch.ts), so a call waits a few seconds at most, far inside its claim's lease and
// call timeout. Shared by several delivery processes (a log shared by nodes), each one's gate
// runs at its share of N among the live processes (delivery/roster.ts), so together they stay
// within N (docs/campaigns.md).

/** This process's part of a limit shared with the others; undefined while it must wait (sends wait). */
export interface Share {
  part(perSecond: number): number | undefined;
  known(): Promise<void>;
}

/** A limit, and, when several processes send, who it is shared with. */
export interface SharedLimit extends Limit {
  readonly share?: Share;
}

export type Limits = Partial<Readonly<Record<DispatchChannel, SharedLimit>>>;

/** The limits, each shared with the live delivery processes `share` counts. */
export const shareLimits = (limits: Limits, share: Share): Limits =>
  Object.fromEntries(Object.entries(limits).map(([k, l]) => [k, { ...l, share }]));

/** This process's part of `l`: the whole limit alone, else its share (delivery/roster.ts). */
export const partOf = (l: SharedLimit): Limit | undefined => {
  if (l.share === undefined) return l;
  const perSecond = l.share.part(l.perSecond);
  return perSecond === undefined ? undefined : { perSecond };
};

interface Waiter {
  readonly urgency: number;
  readonly seq: number;
  readonly want: number;
  readonly grant: (n: number) => void;
}

/** Tokens of one channel, handed to waiters by urgency. */
export interface Gate {
  /** Resolves with 1..want sends allowed now. */
  acquire(urgency: number, want: number): Promise<number>;
}

export const createGate = (limit: SharedLimit, now: () => number = Date.now): Gate => {
  let bucket: Bucket = freshBucket(now());
  const queue: Waiter[] = [];
  let timer: NodeJS.Timeout | undefined;
  let waitingForPeers = false;
  let seq = 0;
  const serve = (): void => {
    for (let first = queue[0]; first !== undefined; first = queue[0]) {
      const mine = partOf(limit);
      if (mine === undefined) {
        if (!waitingForPeers && limit.share !== undefined) {
          waitingForPeers = true;
          void limit.share.known().then(() => {
            waitingForPeers = false;
            serve();
          });
        }
        return;
      }
      // A share that shrank (a process joined): no more stored than the new burst.
      if (bucket.tokens > burstOf(mine)) bucket = { ...bucket, tokens: burstOf(mine) };
      const t = take(bucket, mine, now(), first.want);
      bucket = t.bucket;
      if (t.granted === 0) {
        timer ??= setTimeout(() => {
          timer = undefined;
          serve();
        }, t.waitMs);
        return;
      }
      queue.shift();
      first.grant(t.granted);
    }
  };
  return {
    acquire: (urgency, want) =>
      new Promise((grant) => {
        seq += 1;
        queue.push({ urgency, seq, want, grant });
        queue.sort((a, b) => b.urgency - a.urgency || a.seq - b.seq);
        serve();
      }),
  };
};

const urgencyOf = (c: Content): number =>
  c.kind === 'message' ? c.message.urgency : Math.max(...c.messages.map((m) => m.urgency));

/** The channel, its calls cut to what `gate` allows (one outcome per delivery, in order, as before). */
export const throttled = <C extends Channel>(channel: C, gate: Gate): C => ({
  ...channel,
  kind: channel.kind,
  provider: channel.provider,
  close: () => channel.close(),
  deliver: async (batch: readonly Delivery[]): Promise<readonly Outcome[]> => {
    const urgency = Math.max(0, ...batch.map((d) => urgencyOf(d.content)));
    const out: Outcome[] = [];
    for (let i = 0; i < batch.length; ) {
      const n = await gate.acquire(urgency, batch.length - i);
      out.push(...(await channel.deliver(batch.slice(i, i + n))));
      i += n;
    }
    return out;
  },
});

/** The channel map with each limited channel throttled; the others as they are. */
export const throttleChannels = (channels: ChannelMap, limits: Limits): ChannelMap => {
  const out: Record<string, Channel> = {};
  for (const [name, channel] of Object.entries(channels) as [DispatchChannel, Channel | undefined][]) {
    if (channel === undefined) continue;
    const limit = limits[name];
    out[name] = limit === undefined ? channel : throttled(channel, createGate(limit));
  }
  return out;
};
