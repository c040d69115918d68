import * as E from 'fp-ts/lib/Either.js';
import { isAuditor } from '../auth.js';
import { MessageId, UserId } from '../../schema/ids.js';
import { explainMessage } from '../../projections/explain/query.js';
import type { AppDeps } from '../deps.js';
import { errors } from '../errors.js';
import { limitParam, type Route } from '../route.js';

// Explain (issue 12): the whole story of one message for its recipients, read from the log
// (projections/explain): the triage plan and the rule that chose each step, every claim,
// outcome, retry and skip, receipts and revocations. For the sender, admins and auditors;
// anyone else gets the same 404 as an unknown message, so ids cannot be probed.
export const explainRoutes = (deps: AppDeps): Route[] => [
  {
    method: 'get',
    path: '/api/v2/messages/{mid}/deliveries',
    access: 'user',
    summary:
      'Why each recipient got, or did not get, a message: plan, attempts, skips, receipts (sender, admin, auditor)',
    handler: async (req) => {
      const mid = req.params['mid'] ?? '';
      if (!MessageId.is(mid)) return errors.invalidQuery('mid', 'not a message id');
      const limit = limitParam(req.query, 50, 200);
      if (E.isLeft(limit)) return limit.left;
      const uid = req.query.get('uid');
      if (uid !== null && !UserId.is(uid)) return errors.invalidQuery('uid', 'not a user id');
      const after = req.query.get('after');
      if (after !== null && !UserId.is(after)) return errors.invalidQuery('after', 'not a user id');
      const story = await explainMessage(deps.store, {
        mid,
        limit: limit.right,
        mayRead: (from) => from === req.actor.uid || isAuditor(req.actor),
        ...(uid !== null ? { uid } : {}),
        ...(after !== null ? { after } : {}),
      });
      if (story === undefined) return errors.notFound(`message ${mid} not found`);
      return { status: 200, body: story };
    },
  },
];
