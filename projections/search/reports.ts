import type { SearchQueries } from '../../ports/search.js';
import { funnelReport } from '../../domain/analytics/funnel.js';
import type { FunnelReport } from '../../domain/analytics/funnel.js';
import type { FunnelQuery, FunnelScope } from '../../schema/analytics-funnel-query.js';
import type { Split, TimeseriesQuery } from '../../schema/analytics-timeseries-query.js';
import { DELIVERY_STATUSES, FUNNEL_CHANNELS } from '../../schema/search-documents.js';
import type { DeliveryStatus } from '../../schema/search-documents.js';
import type { HistogramBucket, MessageFilter, TermsBucket } from '../../schema/search-query.js';
import { fillRange } from '../../domain/analytics/timeseries.js';
import { onlineReport } from '../../domain/analytics/online.js';
import type { OnlineReport } from '../../domain/analytics/online.js';
import type { OnlineQuery } from '../../schema/online-time.js';
import type { VariantFunnel } from '../../schema/variant-funnel.js';

// The analysts' reports read from the search port (either engine): two queries each, combined
// by the pure report builders in domain/analytics.

/** Distinct two-significant-digit times to read fit in this many buckets up to ~3 years (10 decades x 90). */
const READ_BUCKETS = 1_000;

export const funnel = async (
  search: SearchQueries,
  q: FunnelQuery,
): Promise<FunnelReport & { readonly scope: FunnelScope; readonly variants?: readonly VariantFunnel[] }> => {
  const mid = q.byVariant === true ? q.scope.mid : undefined;
  const [totals, reads, variants] = await Promise.all([
    search.funnel(q.messages),
    search.terms({ index: 'deliveries', field: 'read_ms', size: READ_BUCKETS, filter: q.deliveries }),
    mid === undefined ? undefined : search.variantFunnel(mid),
  ]);
  return { scope: q.scope, ...funnelReport(totals, reads), ...(variants === undefined ? {} : { variants }) };
};

const SPLIT_KEYS: Readonly<Record<Split, readonly string[]>> = {
  channel: FUNNEL_CHANNELS,
  urgency: ['1', '2', '3', '4'],
  outcome: DELIVERY_STATUSES,
};
const splitFilter = (by: Split, key: string): MessageFilter => {
  switch (by) {
    case 'channel':
      return { channel: [key] };
    case 'urgency': {
      const u = Number(key) as 1 | 2 | 3 | 4;
      return { urgency: { gte: u, lte: u } };
    }
    case 'outcome':
      return { reached: [key as DeliveryStatus] };
    default: {
      const unhandled: never = by;
      return unhandled;
    }
  }
};
const FAILED: DeliveryStatus[] = ['retrying', 'failed', 'given_up', 'revoked'];

export interface Timeseries extends TimeseriesQuery {
  /** Messages published per interval, one series per key of `by` (one series `all` without it). */
  readonly series: readonly { readonly key: string; readonly buckets: readonly HistogramBucket[] }[];
  /** Deliveries of the range's messages that ended in a failure, per channel (the provider), top reasons each. */
  readonly failures: readonly TermsBucket[];
  /** Deliveries that ended with the device revoked (the provider said it is gone), per interval. */
  readonly revocations: readonly HistogramBucket[];
}

export const timeseries = async (search: SearchQueries, q: TimeseriesQuery): Promise<Timeseries> => {
  const at = { gte: q.since, lt: q.until };
  const keys = q.by === null ? ['all'] : SPLIT_KEYS[q.by];
  const fill = (b: readonly HistogramBucket[]) => fillRange(b, q.interval, q.since, q.until);
  const [series, failures, revocations] = await Promise.all([
    Promise.all(
      keys.map(async (key) => ({
        key,
        buckets: fill(
          await search.histogram({
            index: 'messages',
            interval: q.interval,
            filter: { at, ...(q.by === null ? {} : splitFilter(q.by, key)) },
          }),
        ),
      })),
    ),
    search.terms({
      index: 'deliveries',
      field: 'channel',
      size: 20,
      filter: { msgAt: at, status: FAILED },
      then: { field: 'reason', size: 5 },
    }),
    search.histogram({ index: 'deliveries', interval: q.interval, filter: { at, status: ['revoked'] } }),
  ]);
  return { ...q, series, failures, revocations: fill(revocations) };
};

/** Online time (the nodes' check-ins): totals, every interval of the range, top users. */
export const online = async (search: SearchQueries, q: OnlineQuery): Promise<OnlineReport> =>
  onlineReport(q, await search.onlineTime(q));
