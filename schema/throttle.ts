import * as t from 'io-ts';

// Throttling per campaign (issue 13, docs/campaigns.md): `opts.throttle` of a message,
// `{"email": 50, "sms": 5}`, caps the deliveries of that message per second per channel, on
// top of the channel's own limit (MSGXC_THROTTLE_<CHANNEL>). Checked here for requests; the
// stored event keeps whatever a message carried before this existed (schema/message.ts), and
// readers take only a value this codec accepts (domain/throttle.ts `campaignRate`).

/** The same bound as MSGXC_THROTTLE_<CHANNEL> (schema/config-triage.ts). */
export const MAX_CAMPAIGN_RATE = 100_000;

/** The dispatch channels (schema/triage-events.ts DispatchChannel; a unit test holds them equal). */
export const THROTTLE_CHANNELS = ['apns', 'fcm', 'webpush', 'email', 'sms', 'mqtt'] as const;
export type ThrottleChannel = (typeof THROTTLE_CHANNELS)[number];

export type CampaignThrottle = Readonly<Partial<Record<ThrottleChannel, number>>>;

const isChannel = (k: string): k is ThrottleChannel => (THROTTLE_CHANNELS as readonly string[]).includes(k);
const isRate = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 1 && v <= MAX_CAMPAIGN_RATE;
const isPlainObject = (u: unknown): u is Record<string, unknown> =>
  typeof u === 'object' && u !== null && !Array.isArray(u);

const RATE_TEXT = `deliveries per second, an integer 1..${MAX_CAMPAIGN_RATE}`;
const Rate = new t.Type<number>(
  'CampaignRate',
  isRate,
  (u, c) => (isRate(u) ? t.success(u) : t.failure(u, c)),
  t.identity,
);

/**
 * An object of channel -> rate, at least one channel, nothing else. Each bad key is named by
 * its path (`opts.throttle.email`, `opts.throttle.fax`). Decoding returns the value as it is
 * (no copy), so the guard and the decoder agree (follower/decode.ts relies on that for opts).
 */
export const CampaignThrottleC = new t.Type<CampaignThrottle>(
  'CampaignThrottle',
  (u): u is CampaignThrottle =>
    isPlainObject(u) && Object.keys(u).length > 0 && Object.entries(u).every(([k, v]) => isChannel(k) && isRate(v)),
  (u, c) => {
    if (!isPlainObject(u)) return t.failure(u, c, 'an object of channel: deliveries per second');
    const keys = Object.keys(u);
    if (keys.length === 0) return t.failure(u, c, `at least one of ${THROTTLE_CHANNELS.join(', ')}`);
    const errors: t.ValidationError[] = [];
    // At most as many errors as channels plus one: a body with thousands of keys is one answer.
    for (const k of keys) {
      if (errors.length > THROTTLE_CHANNELS.length) break;
      const v = u[k];
      if (!isChannel(k))
        errors.push({
          value: v,
          context: t.appendContext(c, k, Rate, v),
          message: `not a channel (one of ${THROTTLE_CHANNELS.join(', ')})`,
        });
      else if (!isRate(v)) errors.push({ value: v, context: t.appendContext(c, k, Rate, v), message: RATE_TEXT });
    }
    return errors.length === 0 ? t.success(u) : t.failures(errors);
  },
  t.identity,
);
