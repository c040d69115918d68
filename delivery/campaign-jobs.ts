import { campaignRate } from '../domain/throttle.js';
import type { DirectoryReads } from '../ports/delivery-state.js';
import type { UnitState } from '../schema/delivery-state.js';
import { partOf } from './limits.js';
import type { Share } from './limits.js';

// Dispatch jobs of throttled campaigns (a message with `opts.throttle`, docs/campaigns.md).
// A job waiting for its campaign's tokens waits holding its lane slot (lanes.ts), so a
// campaign at 1/s with a job of a thousand units, or with a job in each of the channel's
// MSGXC_DISPATCH_CONCURRENCY slots, would keep every other message of that channel waiting
// for minutes. So, per process, a campaign has at most ONE job in flight per channel, of at
// most about a second of its sends (`sizeOf` its rate, this process's share of it): it holds
// one slot for about a second, and the others stay free for everything else. Its other due
// units wait here, in flight (the scheduler leaves them alone, as it leaves a queued job's),
// unclaimed (their leases start when their job runs), and when its job ends the next one is
// queued in the lane after every job of its urgency that is not a campaign's next job
// (`campaignPriority`): however many campaigns are being paced, an unthrottled message waits
// only for the jobs already running (each about a second), never behind the campaigns' queue.
// Memory: the units held are the due units this process took, as they were in the lanes'
// queues before.

export interface Admitted {
  /** The units the job sends now. */
  readonly send: readonly UnitState[];
  /** The campaigns whose one job this is (end each with `next`). */
  readonly owned: readonly string[];
}

export interface CampaignJobs {
  /**
   * Of a job's units of `channel`, those it sends now; a campaign's beyond `sizeOf(rate)`, or
   * all of them while another job of that campaign is in flight, wait as its next jobs.
   * `owner`: the campaign whose queued job this is.
   */
  admit(
    channel: string,
    units: readonly UnitState[],
    rateOf: (mid: string) => number | undefined,
    owner?: string,
  ): Admitted;
  /** The job of campaign `key` ended: the units of its next job, or undefined (then it has none in flight). */
  next(key: string): UnitState[] | undefined;
  /** Units waiting for their campaign's next job. */
  waiting(): number;
}

interface Campaign {
  units: UnitState[];
  head: number;
  size: number;
}

export const campaignKey = (channel: string, mid: string): string => `${channel}/${mid}`;

export const createCampaignJobs = (sizeOf: (rate: number, channel: string) => number): CampaignJobs => {
  const campaigns = new Map<string, Campaign>();
  let waiting = 0;
  const hold = (c: Campaign, us: readonly UnitState[]): void => {
    for (const u of us) c.units.push(u);
    waiting += us.length;
  };
  return {
    admit: (channel, units, rateOf, owner) => {
      const send: UnitState[] = [];
      const owned: string[] = [];
      const byKey = new Map<string, { rate: number; units: UnitState[] }>();
      for (const u of units) {
        const rate = u.mid === null ? undefined : rateOf(u.mid);
        if (rate === undefined || u.mid === null) {
          send.push(u);
          continue;
        }
        const key = campaignKey(channel, u.mid);
        const g = byKey.get(key) ?? { rate, units: [] };
        g.units.push(u);
        byKey.set(key, g);
      }
      for (const [key, g] of byKey) {
        const size = Math.max(1, sizeOf(g.rate, channel));
        let c = campaigns.get(key);
        if (c !== undefined && key !== owner) {
          hold(c, g.units);
          continue;
        }
        if (c === undefined) {
          c = { units: [], head: 0, size };
          campaigns.set(key, c);
        }
        c.size = size;
        for (const u of g.units.slice(0, size)) send.push(u);
        hold(c, g.units.slice(size));
        if (key !== owner) owned.push(key);
      }
      return { send, owned };
    },
    next: (key) => {
      const c = campaigns.get(key);
      if (c === undefined) return undefined;
      if (c.head >= c.units.length) {
        campaigns.delete(key);
        return undefined;
      }
      const out = c.units.slice(c.head, c.head + c.size);
      c.head += out.length;
      waiting -= out.length;
      // Compacted now and then: a broadcast's queue is taken from the front a second's worth at a time.
      if (c.head > 1024 && c.head * 2 > c.units.length) {
        c.units = c.units.slice(c.head);
        c.head = 0;
      }
      return out;
    },
    waiting: () => waiting,
  };
};

/**
 * A campaign job's size: this process's share of the campaign's rate a second (delivery/roster.ts;
 * 1 while the share is unknown), at most `cap` (the channel's own job size).
 */
export const campaignJobSize = (rate: number, share: Share | undefined, cap: number): number => {
  const mine = partOf(share === undefined ? { perSecond: rate } : { perSecond: rate, share });
  return Math.max(1, Math.min(cap, mine?.perSecond ?? 1));
};

/** The campaign limits on `channel` of the units' messages, by message id (one read per message). */
export const campaignRates = async (
  dir: Pick<DirectoryReads, 'message'>,
  channel: string,
  units: readonly UnitState[],
): Promise<Map<string, number>> => {
  const rates = new Map<string, number>();
  for (const mid of new Set(units.flatMap((u) => (u.mid === null ? [] : [u.mid])))) {
    const m = await dir.message(mid);
    const rate = m === undefined ? undefined : campaignRate(m.data.opts, channel);
    if (rate !== undefined) rates.set(mid, rate);
  }
  return rates;
};

/**
 * The lane priority of a campaign's next job: after the other jobs of its urgency, before any
 * of a lower urgency (lanes.ts serves higher first, equal first come first served).
 */
export const campaignPriority = (urgency: number): number => urgency - 0.5;
