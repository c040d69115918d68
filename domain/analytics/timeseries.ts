import { INTERVALS } from '../../schema/search-query.js';
import type { HistogramBucket, Interval } from '../../schema/search-query.js';

// Every bucket of [since, until), the empty ones included, from the engine's non-empty ones:
// a chart needs the zeros, and both engines leave them out.
export const fillRange = (
  buckets: readonly HistogramBucket[],
  interval: Interval,
  since: string,
  until: string,
): HistogramBucket[] => {
  const step = INTERVALS[interval];
  const counts = new Map(buckets.map((b) => [Date.parse(b.key), b.count]));
  const out: HistogramBucket[] = [];
  for (let t = Date.parse(since); t < Date.parse(until); t += step)
    out.push({ key: new Date(t).toISOString(), count: counts.get(t) ?? 0 });
  return out;
};
