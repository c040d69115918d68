import * as E from 'fp-ts/lib/Either.js';
import type { DeliveryReports as Reports } from '../../ports/delivery-state.js';
import { errors } from '../errors.js';
import { limitParam, type Route } from '../route.js';

// msgxc's admin reports, on delivery's state (ports/delivery-state.ts): scheduled messages still to
// come (soonest first) and recently triaged ones with where their deliveries stand.
export const scheduleRoutes = (deps: {
  readonly reports?: Reports;
  readonly reportsCaughtUp?: () => Promise<void>;
}): Route[] => [
  {
    method: 'get',
    path: '/api/v2/messages',
    access: 'admin',
    summary: 'Admin reports: `?scheduled=upcoming` (soonest first) or `?scheduled=recent` (newest first)',
    handler: async (req) => {
      const limit = limitParam(req.query, 50, 500);
      if (E.isLeft(limit)) return limit.left;
      const which = req.query.get('scheduled');
      if (which !== 'upcoming' && which !== 'recent')
        return errors.invalidQuery('scheduled', 'expected upcoming or recent');
      if (deps.reports === undefined)
        return errors.notFound(
          'delivery reactors are not running on this node (MSGXC_REACTORS=false or MSGXC_ROLE=api)',
        );
      // Consistent with earlier writes, like every read: wait for the reactors' read model.
      await deps.reportsCaughtUp?.();
      const messages = await (which === 'upcoming'
        ? deps.reports.upcoming(limit.right)
        : deps.reports.recent(limit.right));
      return { status: 200, body: { messages } };
    },
  },
];
