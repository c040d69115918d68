import { isAdmin } from '../auth.js';
import { MessageId } from '../../schema/ids.js';
import { answer, consistentRead, contextOf, type AppDeps } from '../deps.js';
import { errors } from '../errors.js';
import type { Route } from '../route.js';
import { messageJsonFor } from './content.js';
import { mayReadMessage } from './message-access.js';

// One message by id: visible to its sender, its recipients, admins and, in a thread, whoever may
// read the thread's messages (message-access.ts). Anyone else gets the
// same 404 as for an unknown id, so ids cannot be probed.
export const messageReadRoutes = (deps: AppDeps): Route[] => [
  {
    method: 'get',
    path: '/api/v2/messages/{mid}',
    access: 'user',
    summary: 'A message (sender, recipients, admins)',
    handler: async (req) => {
      const mid = req.params['mid'] ?? '';
      if (!MessageId.is(mid)) return errors.invalidQuery('mid', 'not a message id');
      const headers = await consistentRead(deps, req);
      const m = await deps.reads.message(mid);
      const visible =
        m !== undefined &&
        m.status !== 'retracted' &&
        m.status !== 'cancelled' &&
        (await mayReadMessage(deps, m, req.actor));
      if (!visible) return errors.notFound(`message ${mid} not found`);
      return {
        status: 200,
        body: { ...messageJsonFor({ uid: req.actor.uid, admin: isAdmin(req.actor) }, m), status: m.status },
        headers,
      };
    },
  },
  {
    method: 'delete',
    path: '/api/v2/messages/{mid}',
    access: 'user',
    idempotent: true,
    summary: 'Retract a message for everyone (sender or admin), or delete it from your own inbox (recipient)',
    handler: async (req) => {
      const mid = req.params['mid'] ?? '';
      if (!MessageId.is(mid)) return errors.invalidQuery('mid', 'not a message id');
      return answer(await deps.commands.deleteMessage(contextOf(req), mid), (v) => ({
        status: 200,
        body: { effect: v.effect },
        headers: { 'X-Position': String(v.position) },
      }));
    },
  },
];
