import { isRight } from 'fp-ts/lib/Either.js';
import type { ParamError } from './analytics-query.js';
import { bucketRange } from './analytics-timeseries-query.js';
import { UserId } from './ids.js';
import type { OnlineQuery } from './online-time.js';

// The query string of GET /api/v2/analytics/online: an interval and a bounded time range (both
// ends required, at most MAX_BUCKETS buckets), optionally one user, and how many top users.

export const ANALYTICS_ONLINE_PARAMS = ['interval', 'since', 'until', 'uid', 'top'] as const;
type Param = (typeof ANALYTICS_ONLINE_PARAMS)[number];
export const MAX_TOP = 100;
const DEFAULT_TOP = 10;

export const analyticsOnlineQuery = (
  get: (name: Param) => string | null,
): { readonly ok: OnlineQuery } | { readonly error: ParamError } => {
  const bad = (field: Param, msg: string) => ({ error: { field, msg } });
  const range = bucketRange(get);
  if ('error' in range) return range;
  const { interval, since, until } = range.ok;
  const uid = get('uid');
  if (uid !== null && !isRight(UserId.decode(uid))) return bad('uid', 'not a user id');
  const topRaw = get('top');
  const top = topRaw === null ? DEFAULT_TOP : /^\d{1,3}$/.test(topRaw) ? Number(topRaw) : Number.NaN;
  if (!(top >= 1 && top <= MAX_TOP)) return bad('top', `expected an integer from 1 to ${MAX_TOP}`);
  return {
    ok: { interval, since, until, top, ...(uid === null ? {} : { uid }) },
  };
};
