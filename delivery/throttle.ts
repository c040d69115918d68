import { JITTER_MS, burstOf, campaignRate, freshBucket, refill, take } from '../domain/throttle.js';
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
// Throttling per campaign (a message's `opts.throttle`, docs/campaigns.md): the same gate holds
// a bucket per campaign too, and a campaign's send takes a token of each at one instant; a
// campaign out of tokens is passed over, so it never holds back the channel's other sends.
// Dispatch keeps such a campaign to one job of about a second of its sends (campaign-jobs.ts).

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

/** A campaign's own limit on this channel: its message's `opts.throttle` (domain/throttle.ts). */
export interface CampaignLimit {
  /** The message id: one bucket per campaign per channel (a gate is one channel's). */
  readonly key: string;
  readonly limit: SharedLimit;
}

interface Waiter {
  readonly urgency: number;
  readonly seq: number;
  readonly want: number;
  readonly campaign: CampaignLimit | undefined;
  readonly grant: (n: number) => void;
}

interface CampaignBucket {
  bucket: Bucket;
  /** When it last granted (epoch ms). */
  last: number;
  /** Waiters that need it. */
  waiting: number;
}

/**
 * A campaign's bucket is dropped once nobody waits for it and it granted nothing for a window
 * (a second plus the jitter slack): a new one's sends then share no window with the old one's,
 * so starting again from a fresh bucket keeps the limit, and memory holds only the campaigns
 * sending in the last second (at most one per waiting call).
 */
export const CAMPAIGN_IDLE_MS = 1000 + JITTER_MS;

/** Tokens of one channel, handed to waiters by urgency. */
export interface Gate {
  /**
   * Resolves with 1..want sends allowed now: by the channel's limit and, for a campaign's
   * sends, by the campaign's too (a token of each, taken at the same instant).
   */
  acquire(urgency: number, want: number, campaign?: CampaignLimit): Promise<number>;
  /** Campaign buckets held (for tests: bounded). */
  campaigns(): number;
}

/**
 * The gate of a channel: its own limit (none: only campaigns are limited) and the campaigns'.
 * Waiters are served by urgency, then arrival; a waiter whose campaign has no token now is
 * passed over, not waited for, so a slow campaign never holds back the channel's other sends.
 */
export const createGate = (limit: SharedLimit | undefined, now: () => number = Date.now): Gate => {
  let bucket: Bucket = freshBucket(now());
  const campaigns = new Map<string, CampaignBucket>();
  const queue: Waiter[] = [];
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Infinity;
  const waitingForPeers = new Set<Share>();
  let seq = 0;
  // One timer: for the next token a waiter needs, or (unref'd) to drop idle campaign buckets.
  let timerHolds = false;
  const later = (ms: number, holds = true): void => {
    const at = now() + ms;
    if (timer !== undefined && timerAt <= at && (timerHolds || !holds)) return;
    clearTimeout(timer);
    timerAt = at;
    timerHolds = holds;
    timer = setTimeout(() => {
      timer = undefined;
      timerAt = Infinity;
      serve();
    }, ms);
    if (!holds) timer.unref();
  };
  const afterPeers = (share: Share | undefined): void => {
    if (share === undefined || waitingForPeers.has(share)) return;
    waitingForPeers.add(share);
    void share.known().then(() => {
      waitingForPeers.delete(share);
      serve();
    });
  };
  const sweep = (t: number): void => {
    for (const [key, c] of campaigns) if (c.waiting === 0 && t - c.last >= CAMPAIGN_IDLE_MS) campaigns.delete(key);
    // The ones still held are looked at again when they may be dropped (unref'd: no reason to stay alive).
    if (campaigns.size > 0 && queue.length === 0) later(CAMPAIGN_IDLE_MS, false);
  };
  // A campaign's tokens now, by its share (undefined: this process must wait for its peers).
  const campaignTokens = (w: Waiter, t: number): { c: CampaignBucket; mine: Limit; tokens: number } | undefined => {
    const cl = w.campaign;
    if (cl === undefined) return undefined;
    const c = campaigns.get(cl.key);
    const mine = partOf(cl.limit);
    if (c === undefined || mine === undefined) return undefined;
    if (c.bucket.tokens > burstOf(mine)) c.bucket = { ...c.bucket, tokens: burstOf(mine) };
    c.bucket = refill(c.bucket, mine, t);
    return { c, mine, tokens: Math.floor(c.bucket.tokens + 1e-9) };
  };
  const serve = (): void => {
    const t = now();
    let channel: Limit | undefined;
    if (limit !== undefined) {
      channel = partOf(limit);
      if (channel === undefined) {
        if (queue.length > 0) afterPeers(limit.share);
        return;
      }
      // A share that shrank (a process joined): no more stored than the new burst.
      if (bucket.tokens > burstOf(channel)) bucket = { ...bucket, tokens: burstOf(channel) };
    }
    let wait = Infinity;
    for (let i = 0; i < queue.length; ) {
      const w = queue[i];
      if (w === undefined) break;
      let want = w.want;
      const camp = campaignTokens(w, t);
      if (w.campaign !== undefined) {
        if (camp === undefined) {
          afterPeers(w.campaign.limit.share);
          i += 1;
          continue;
        }
        if (camp.tokens === 0) {
          wait = Math.min(wait, take(camp.c.bucket, camp.mine, t, 1).waitMs);
          i += 1;
          continue;
        }
        want = Math.min(want, camp.tokens);
      }
      let granted = want;
      if (channel !== undefined) {
        const taken = take(bucket, channel, t, want);
        bucket = taken.bucket;
        if (taken.granted === 0) {
          // The channel is out of tokens: nobody after this waiter can go either.
          wait = Math.min(wait, taken.waitMs);
          break;
        }
        granted = taken.granted;
      }
      if (camp !== undefined) {
        camp.c.bucket = { ...camp.c.bucket, tokens: camp.c.bucket.tokens - granted };
        camp.c.last = t;
        camp.c.waiting -= 1;
      }
      queue.splice(i, 1);
      w.grant(granted);
    }
    if (wait !== Infinity) later(wait);
    sweep(t);
  };
  return {
    acquire: (urgency, want, campaign) =>
      new Promise((grant) => {
        seq += 1;
        if (campaign !== undefined) {
          const c = campaigns.get(campaign.key) ?? { bucket: freshBucket(now()), last: -Infinity, waiting: 0 };
          c.waiting += 1;
          campaigns.set(campaign.key, c);
        }
        queue.push({ urgency, seq, want, campaign, grant });
        queue.sort((a, b) => b.urgency - a.urgency || a.seq - b.seq);
        serve();
      }),
    campaigns: () => campaigns.size,
  };
};

const urgencyOf = (c: Content): number =>
  c.kind === 'message' ? c.message.urgency : Math.max(...c.messages.map((m) => m.urgency));

/** A delivery's campaign limit on this channel, if its message has one. */
export type CampaignOf = (d: Delivery) => CampaignLimit | undefined;
const NO_CAMPAIGNS: CampaignOf = () => undefined;

/**
 * The channel, its calls cut to what `gate` allows (one outcome per delivery, in order, as
 * before). `limited`: the channel has a limit of its own; without one, a call carrying no
 * campaign's sends goes straight through. Consecutive deliveries of one campaign ask the gate
 * together; a call mixing campaigns is cut at each change.
 */
export const throttled = <C extends Channel>(
  channel: C,
  gate: Gate,
  campaignOf: CampaignOf = NO_CAMPAIGNS,
  limited = true,
): C => ({
  ...channel,
  kind: channel.kind,
  provider: channel.provider,
  close: () => channel.close(),
  deliver: async (batch: readonly Delivery[]): Promise<readonly Outcome[]> => {
    const campaigns = batch.map(campaignOf);
    if (!limited && campaigns.every((c) => c === undefined)) return channel.deliver(batch);
    const urgency = Math.max(0, ...batch.map((d) => urgencyOf(d.content)));
    const out: Outcome[] = [];
    for (let i = 0; i < batch.length; ) {
      const campaign = campaigns[i];
      let end = i + 1;
      while (end < batch.length && campaigns[end]?.key === campaign?.key) end += 1;
      const n = campaign === undefined && !limited ? end - i : await gate.acquire(urgency, end - i, campaign);
      out.push(...(await channel.deliver(batch.slice(i, i + n))));
      i += n;
    }
    return out;
  },
});

/** Campaign limits (opts.throttle) are shared among the delivery processes as the channels' are. */
export interface CampaignSettings {
  readonly share?: Share;
}

/** The campaign limit of a delivery of one message on `channel` (digests are not limited per campaign). */
const campaignOn =
  (channel: DispatchChannel, share: Share | undefined): CampaignOf =>
  (d) => {
    if (d.content.kind !== 'message') return undefined;
    const perSecond = campaignRate(d.content.message.opts, channel);
    if (perSecond === undefined) return undefined;
    return { key: d.content.message.mid, limit: share === undefined ? { perSecond } : { perSecond, share } };
  };

/**
 * The channel map with each limited channel throttled; the others as they are. With
 * `campaigns`, every channel is wrapped, so a message's own `opts.throttle` applies too.
 */
export const throttleChannels = (channels: ChannelMap, limits: Limits, campaigns?: CampaignSettings): ChannelMap => {
  const out: Record<string, Channel> = {};
  for (const [name, channel] of Object.entries(channels) as [DispatchChannel, Channel | undefined][]) {
    if (channel === undefined) continue;
    const limit = limits[name];
    if (campaigns !== undefined)
      out[name] = throttled(channel, createGate(limit), campaignOn(name, campaigns.share), limit !== undefined);
    else out[name] = limit === undefined ? channel : throttled(channel, createGate(limit));
  }
  return out;
};
