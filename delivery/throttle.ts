import { campaignRate } from '../domain/throttle.js';
import type { Channel, Content, Delivery, Outcome } from '../ports/channel.js';
import type { DispatchChannel } from '../schema/triage-events.js';
import { createGate } from './gate.js';
import type { Gate } from './gate.js';
import type { CampaignLimit, Limits, Share } from './limits.js';
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
