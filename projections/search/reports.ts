import type { SearchQueries } from '../../ports/search.js';
import { funnelReport } from '../../domain/analytics/funnel.js';
import type { FunnelReport } from '../../domain/analytics/funnel.js';
import type { FunnelQuery, FunnelScope } from '../../schema/analytics-funnel-query.js';

// The analysts' reports read from the search port (either engine): two queries each, combined
// by the pure report builders in domain/analytics.

/** Distinct two-significant-digit times to read fit in this many buckets up to ~3 years (10 decades x 90). */
const READ_BUCKETS = 1_000;

export const funnel = async (
  search: SearchQueries,
  q: FunnelQuery,
): Promise<FunnelReport & { readonly scope: FunnelScope }> => {
  const [totals, reads] = await Promise.all([
    search.funnel(q.messages),
    search.terms({ index: 'deliveries', field: 'read_ms', size: READ_BUCKETS, filter: q.deliveries }),
  ]);
  return { scope: q.scope, ...funnelReport(totals, reads) };
};
