import { freshBucket, take } from '../domain/throttle.js';
import type { Bucket, Limit } from '../domain/throttle.js';
import type { DispatchChannel } from '../schema/triage-events.js';

// Throttling per channel (MSGXC_THROTTLE_<CHANNEL>, docs/campaigns.md): dispatch hands each
// job's sends here before its provider calls, and they go out in pieces as the channel's token
// bucket (domain/throttle.ts) allows. Jobs waiting for tokens are served by urgency (higher
// first, then in arrival order), so an urgent message goes first within the limit while a
// broadcast is being paced. A channel without a limit passes straight through. The limit is
// per node: N nodes send at most N times it.

export type Limits = Partial<Readonly<Record<DispatchChannel, Limit>>>;

interface Waiter {
  readonly urgency: number;
  readonly seq: number;
  readonly want: number;
  readonly grant: (n: number) => void;
}

export interface Throttle {
  /** Sends `items` through `send` in pieces the channel's limit allows; resolves when all were sent. */
  paced<T>(
    channel: DispatchChannel,
    urgency: number,
    items: readonly T[],
    send: (piece: readonly T[]) => Promise<void>,
  ): Promise<void>;
}

export const createThrottle = (limits: Limits, now: () => number = Date.now): Throttle => {
  const buckets = new Map<DispatchChannel, Bucket>();
  const queues = new Map<DispatchChannel, Waiter[]>();
  const timers = new Map<DispatchChannel, NodeJS.Timeout>();
  let seq = 0;

  const serve = (channel: DispatchChannel, limit: Limit): void => {
    const queue = queues.get(channel) ?? [];
    while (queue.length > 0) {
      const first = queue[0];
      if (first === undefined) break;
      const t = take(buckets.get(channel) ?? freshBucket(now()), limit, now(), first.want);
      buckets.set(channel, t.bucket);
      if (t.granted === 0) {
        if (!timers.has(channel)) {
          const timer = setTimeout(() => {
            timers.delete(channel);
            serve(channel, limit);
          }, t.waitMs);
          timers.set(channel, timer);
        }
        return;
      }
      queue.shift();
      first.grant(t.granted);
    }
  };

  const acquire = (channel: DispatchChannel, limit: Limit, urgency: number, want: number): Promise<number> =>
    new Promise((grant) => {
      const queue = queues.get(channel) ?? [];
      seq += 1;
      queue.push({ urgency, seq, want, grant });
      queue.sort((a, b) => b.urgency - a.urgency || a.seq - b.seq);
      queues.set(channel, queue);
      serve(channel, limit);
    });

  return {
    paced: async (channel, urgency, items, send) => {
      const limit = limits[channel];
      if (limit === undefined || items.length === 0) {
        await send(items);
        return;
      }
      // One piece at a time: a piece is claimed just before its provider call (no lease runs
      // out while it waits), and the calls keep the spacing of their grants.
      for (let i = 0; i < items.length; ) {
        const n = await acquire(channel, limit, urgency, items.length - i);
        await send(items.slice(i, i + n));
        i += n;
      }
    },
  };
};
