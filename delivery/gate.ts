import { JITTER_MS, burstOf, freshBucket, refill, take } from '../domain/throttle.js';
import type { Bucket, Limit } from '../domain/throttle.js';
import { partOf } from './limits.js';
import type { CampaignLimit, Share, SharedLimit } from './limits.js';

// A channel's gate (delivery/throttle.ts wraps a channel's calls in one): the channel's token
// bucket and one per campaign (domain/throttle.ts), handed to waiting calls by urgency, then
// arrival; a campaign's send takes a token of each at one instant, and a campaign out of tokens
// is passed over, so it never holds back the channel's other sends (docs/campaigns.md).

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
