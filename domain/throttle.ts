import * as E from 'fp-ts/lib/Either.js';
import type { Either } from 'fp-ts/lib/Either.js';
import type { JsonObject } from '../schema/json.js';
import { CampaignThrottleC, MAX_CAMPAIGN_RATE } from '../schema/throttle.js';
import type { ThrottleChannel } from '../schema/throttle.js';
import { invalid } from './errors.js';
import type { DomainError } from './errors.js';

// A token bucket per channel (docs/campaigns.md, MSGXC_THROTTLE_<CHANNEL>=N/s) or per campaign
// (a message's `opts.throttle`), pure: the
// caller passes the time. Shaped so that no one-second window ever holds more than N sends, the
// way providers count: `burst` tokens at most are stored, and they refill at `N - burst + 1`
// a second, slowed so that this holds for any window of a second plus JITTER_MS: a send the
// event loop or the network delays by up to that much (it was granted earlier than it left)
// still cannot make a provider count N + 1 in its own second (a 2% margin, tried first, left
// 5 ms at N = 4: an end-to-end test saw 5 in a second on a loaded machine). So a window holds at
// most burst + (refill - 1) = N. The burst (a tenth of N, at least one) lets a batching
// provider get batches; the price is a sustained rate of about 86% of N at large N (more at
// small N).

export interface Limit {
  /** Sends per second never exceeded in any one-second window. */
  readonly perSecond: number;
}

export interface Bucket {
  readonly tokens: number;
  /** Epoch ms of the last refill. */
  readonly at: number;
}

export const burstOf = (l: Limit): number => Math.max(1, Math.floor(l.perSecond / 10));
/** How late a granted send may leave and still keep every provider-side second within N. */
export const JITTER_MS = 50;
/** The refill that spreads N - burst + 1 tokens over a second plus JITTER_MS. */
export const refillPerSecond = (l: Limit): number => ((l.perSecond - burstOf(l) + 1) * 1000) / (1000 + JITTER_MS);

/** A new bucket holds one token: the first send goes at once, the rest at the refill rate. */
export const freshBucket = (now: number): Bucket => ({ tokens: 1, at: now });

export const refill = (b: Bucket, l: Limit, now: number): Bucket => {
  if (now <= b.at) return b;
  const tokens = Math.min(burstOf(l), b.tokens + ((now - b.at) * refillPerSecond(l)) / 1000);
  return { tokens, at: now };
};

export interface Taken {
  /** Sends allowed now (0..want). */
  readonly granted: number;
  readonly bucket: Bucket;
  /** When nothing was granted: milliseconds until the next whole token. */
  readonly waitMs: number;
}

/** Takes up to `want` whole tokens. */
export const take = (b: Bucket, l: Limit, now: number, want: number): Taken => {
  const r = refill(b, l, now);
  const granted = Math.max(0, Math.min(want, Math.floor(r.tokens + 1e-9)));
  if (granted > 0) return { granted, bucket: { ...r, tokens: r.tokens - granted }, waitMs: 0 };
  const waitMs = Math.max(1, Math.ceil(((1 - r.tokens) * 1000) / refillPerSecond(l)));
  return { granted: 0, bucket: r, waitMs };
};

/** A campaign's own limit on `channel` (its message's `opts.throttle`), if it has a valid one. */
export const campaignRate = (opts: JsonObject, channel: string): number | undefined => {
  const th = opts.throttle;
  if (th === undefined || !CampaignThrottleC.is(th)) return undefined;
  return Object.hasOwn(th, channel) ? th[channel as ThrottleChannel] : undefined;
};

/**
 * A publication's `opts.throttle` is valid or absent (every route decodes it with the request
 * codec; this holds for any other way a command is built).
 */
export const checkThrottle = (opts: JsonObject): Either<DomainError, void> =>
  !Object.hasOwn(opts, 'throttle') || CampaignThrottleC.is(opts.throttle)
    ? E.right(undefined)
    : E.left(
        invalid(
          'ThrottleIsInvalid',
          `opts.throttle: an object of channel: deliveries per second (1..${MAX_CAMPAIGN_RATE})`,
        ),
      );
