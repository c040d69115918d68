import { analyticsMessagesQuery } from '../../schema/analytics-query.js';
import { analyticsFunnelQuery } from '../../schema/analytics-funnel-query.js';
import { analyticsTimeseriesQuery } from '../../schema/analytics-timeseries-query.js';
import { analyticsOnlineQuery } from '../../schema/analytics-online-query.js';
import { funnel, online, timeseries } from '../../projections/search/reports.js';
import type { AppDeps } from '../deps.js';
import { errors } from '../errors.js';
import type { Route } from '../route.js';

// The analysts' routes (issue 12) over the search port: the Elasticsearch projection in
// production, the embedded FTS5 store by default; both answer alike (test/contract/search.contract.ts).
// The store follows the log asynchronously: a message appears here once the search
// projection has indexed it (GET /readyz names its position). Unknown or repeated query
// parameters are refused before a handler runs (api/query-names.ts, from the OpenAPI lists).
export const analyticsRoutes = (deps: AppDeps): Route[] => [
  {
    method: 'get',
    path: '/api/v2/analytics/messages',
    access: 'analyst',
    summary: 'Full-text and filtered search over messages, newest first, cursor-paged, with the total (admin, analyst)',
    handler: async (req) => {
      const q = analyticsMessagesQuery((name) => req.query.get(name));
      if ('error' in q) return errors.invalidQuery(q.error.field, q.error.msg);
      if (deps.search === undefined) return errors.notFound('the search store is not open on this node');
      const page = await deps.search.searchMessages(q.ok);
      return { status: 200, body: { messages: page.hits, total: page.total, next: page.next } };
    },
  },
  {
    method: 'get',
    path: '/api/v2/analytics/funnel',
    access: 'analyst',
    summary:
      'The delivery funnel of a message, a thread or a time range, with time-to-read percentiles (admin, analyst)',
    handler: async (req) => {
      const q = analyticsFunnelQuery((name) => req.query.get(name));
      if ('error' in q) return errors.invalidQuery(q.error.field, q.error.msg);
      if (deps.search === undefined) return errors.notFound('the search store is not open on this node');
      const report = await funnel(deps.search, q.ok);
      // One message's funnel is about that message, as its explain route and its reads are: one
      // the store does not hold is a 404, not a funnel of zeros that reads as a message that
      // reached nobody. A thread or a range with no messages is a real answer of zeros.
      const { mid } = q.ok.scope;
      if (mid !== undefined && report.messages === 0)
        return errors.notFound(
          `mid: no message ${mid} in the search store (unknown, or not indexed yet: GET /readyz names the search projection's position)`,
        );
      return { status: 200, body: report };
    },
  },
  {
    method: 'get',
    path: '/api/v2/analytics/timeseries',
    access: 'analyst',
    summary:
      'Message volumes per interval split by channel, urgency or outcome; failure reasons; revocations (admin, analyst)',
    handler: async (req) => {
      const q = analyticsTimeseriesQuery((name) => req.query.get(name));
      if ('error' in q) return errors.invalidQuery(q.error.field, q.error.msg);
      if (deps.search === undefined) return errors.notFound('the search store is not open on this node');
      return { status: 200, body: await timeseries(deps.search, q.ok) };
    },
  },
  {
    method: 'get',
    path: '/api/v2/analytics/online',
    access: 'analyst',
    summary:
      'Online time from the websocket check-ins: session seconds per interval, concurrent sessions, top users (admin, analyst)',
    handler: async (req) => {
      const q = analyticsOnlineQuery((name) => req.query.get(name));
      if ('error' in q) return errors.invalidQuery(q.error.field, q.error.msg);
      if (deps.search === undefined) return errors.notFound('the search store is not open on this node');
      return { status: 200, body: await online(deps.search, q.ok) };
    },
  },
];
