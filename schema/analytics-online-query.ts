import { isRight } from 'fp-ts/lib/Either.js';
import { INTERVALS } from './search-query.js';
import type { Interval } from './search-query.js';
import { instant } from './analytics-query.js';
import type { ParamError } from './analytics-query.js';
import { MAX_BUCKETS } from './analytics-timeseries-query.js';
import { UserId } from './ids.js';
import type { OnlineQuery } from './online-time.js';

// The query string of GET /api/v2/analytics/online: an interval and a bounded time range (both
// ends required, at most MAX_BUCKETS buckets), optionally one user, and how many top users.

export const ANALYTICS_ONLINE_PARAMS = ['interval', 'since', 'until', 'uid', 'top'] as const;
type Param = (typeof ANALYTICS_ONLINE_PARAMS)[number];
export const MAX_TOP = 100;
const DEFAULT_TOP = 10;

const isInterval = (s: string): s is Interval => Object.hasOwn(INTERVALS, s);

export const analyticsOnlineQuery = (
  get: (name: Param) => string | null,
): { readonly ok: OnlineQuery } | { readonly error: ParamError } => {
  const bad = (field: Param, msg: string) => ({ error: { field, msg } });
  const interval = get('interval');
  if (interval === null || !isInterval(interval)) return bad('interval', 'expected minute, hour or day');
  const [sinceRaw, untilRaw] = [get('since'), get('until')];
  if (sinceRaw === null) return bad('since', 'required: the start of the range, ISO-8601');
  if (untilRaw === null) return bad('until', 'required: the end of the range (exclusive), ISO-8601');
  const [since, until] = [instant(sinceRaw), instant(untilRaw)];
  if (since === undefined) return bad('since', 'expected an ISO-8601 time');
  if (until === undefined) return bad('until', 'expected an ISO-8601 time');
  if (Date.parse(until) <= Date.parse(since)) return bad('until', 'must be later than since');
  const step = INTERVALS[interval];
  const start = Math.floor(Date.parse(since) / step) * step;
  const buckets = Math.ceil((Date.parse(until) - start) / step);
  if (buckets > MAX_BUCKETS)
    return bad('until', `${buckets} ${interval} buckets between since and until; at most ${MAX_BUCKETS}`);
  const uid = get('uid');
  if (uid !== null && !isRight(UserId.decode(uid))) return bad('uid', 'not a user id');
  const topRaw = get('top');
  const top = topRaw === null ? DEFAULT_TOP : /^\d{1,3}$/.test(topRaw) ? Number(topRaw) : Number.NaN;
  if (!(top >= 1 && top <= MAX_TOP)) return bad('top', `expected an integer from 1 to ${MAX_TOP}`);
  return {
    ok: { interval, since: new Date(start).toISOString(), until, top, ...(uid === null ? {} : { uid }) },
  };
};
