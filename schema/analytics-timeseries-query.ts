import { INTERVALS } from './search-query.js';
import type { Interval } from './search-query.js';
import { instant } from './analytics-query.js';
import type { ParamError } from './analytics-query.js';

// The query string of GET /api/v2/analytics/timeseries: an interval and a bounded time range
// (both ends required), so that no query can ask for more than MAX_BUCKETS buckets per series,
// and what to split the message volumes by.

export const ANALYTICS_TIMESERIES_PARAMS = ['interval', 'since', 'until', 'by'] as const;
type Param = (typeof ANALYTICS_TIMESERIES_PARAMS)[number];
export const SPLITS = ['channel', 'urgency', 'outcome'] as const;
export type Split = (typeof SPLITS)[number];
export const MAX_BUCKETS = 1_000;

export interface TimeseriesQuery {
  readonly interval: Interval;
  /** Start of the first bucket (since, rounded down to the interval in UTC). */
  readonly since: string;
  readonly until: string;
  readonly by: Split | null;
}

const isInterval = (s: string): s is Interval => Object.hasOwn(INTERVALS, s);
const isSplit = (s: string): s is Split => (SPLITS as readonly string[]).includes(s);

type RangeParam = 'interval' | 'since' | 'until';
type Range = { readonly interval: Interval; readonly since: string; readonly until: string };

/**
 * An interval and a bounded range, both ends required (the timeseries and online-time routes):
 * `since` comes back rounded down to the interval (UTC), at most MAX_BUCKETS buckets.
 */
export const bucketRange = (
  get: (name: RangeParam) => string | null,
): { readonly ok: Range } | { readonly error: ParamError } => {
  const bad = (field: RangeParam, msg: string) => ({ error: { field, msg } });
  const interval = get('interval');
  if (interval === null || !isInterval(interval)) return bad('interval', 'expected minute, hour or day');
  const [sinceRaw, untilRaw] = [get('since'), get('until')];
  if (sinceRaw === null) return bad('since', 'required: the start of the range, ISO-8601');
  if (untilRaw === null) return bad('until', 'required: the end of the range (exclusive), ISO-8601');
  const [since, until] = [instant(sinceRaw), instant(untilRaw)];
  if (since === undefined) return bad('since', 'expected an ISO-8601 time');
  if (until === undefined) return bad('until', 'expected an ISO-8601 time');
  const step = INTERVALS[interval];
  const start = Math.floor(Date.parse(since) / step) * step;
  const end = Date.parse(until);
  if (end <= Date.parse(since)) return bad('until', 'must be later than since');
  const buckets = Math.ceil((end - start) / step);
  if (buckets > MAX_BUCKETS)
    return bad('until', `${buckets} ${interval} buckets between since and until; at most ${MAX_BUCKETS}`);
  return { ok: { interval, since: new Date(start).toISOString(), until } };
};

export const analyticsTimeseriesQuery = (
  get: (name: Param) => string | null,
): { readonly ok: TimeseriesQuery } | { readonly error: ParamError } => {
  const range = bucketRange(get);
  if ('error' in range) return range;
  const { interval, since, until } = range.ok;
  const by = get('by');
  if (by !== null && !isSplit(by)) return { error: { field: 'by', msg: 'expected channel, urgency or outcome' } };
  return { ok: { interval, since, until, by } };
};
