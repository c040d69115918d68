import type { Limit } from '../domain/throttle.js';
import type { DispatchChannel } from '../schema/triage-events.js';

// The limits a throttle works with (delivery/throttle.ts, docs/campaigns.md): a channel's
// (MSGXC_THROTTLE_<CHANNEL>) and a campaign's (a message's `opts.throttle`), each, when several
// delivery processes share a log, divided among them by the roster (delivery/roster.ts).

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
