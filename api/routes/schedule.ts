import * as E from 'fp-ts/lib/Either.js';
import type { Reports } from '../../projections/deliveries/reports.js';
import { errors } from '../errors.js';
import { limitParam, type Route } from '../route.js';

// msgxc's admin reports, on the delivery reactors' read model: scheduled messages still to
// come (soonest first) and recently triaged ones with where their deliveries stand.
export const scheduleRoutes = (deps: { readonly reports?: Reports }): Route[] => [{
  method: 'get', path: '/api/v2/messages', access: 'admin', summary: 'Admin reports: `?scheduled=upcoming` (soonest first) or `?scheduled=recent` (newest first)',
  handler: (req) => {
    const limit = limitParam(req.query, 50, 500);
    if (E.isLeft(limit)) return Promise.resolve(limit.left);
    const which = req.query.get('scheduled');
    if (which !== 'upcoming' && which !== 'recent') return Promise.resolve(errors.invalidQuery('scheduled', 'expected upcoming or recent'));
    if (deps.reports === undefined) return Promise.resolve(errors.notFound('delivery reactors are not running on this node (MSGXC_REACTORS=false)'));
    const messages = which === 'upcoming' ? deps.reports.upcoming(limit.right) : deps.reports.recent(limit.right);
    return Promise.resolve({ status: 200, body: { messages } });
  },
}];
