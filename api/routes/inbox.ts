import * as E from 'fp-ts/lib/Either.js';
import { AckBody, InboxDeleteBody, ReadBody } from '../../schema/http.js';
import { answer, consistentRead, contextOf, type AppDeps } from '../deps.js';
import { beforeParam, decode, limitParam, type Route } from '../route.js';
import { messageJson } from './content.js';
import { errors } from '../errors.js';
import { personal } from '../../delivery/personal.js';

const UNSEEN: ReadonlySet<string> = new Set(['true', 'false', '1', '0']);

export const inboxRoutes = (deps: AppDeps): Route[] => [
  {
    method: 'get',
    path: '/api/v2/inbox',
    access: 'user',
    summary: "The caller's inbox, newest first (`before`, `limit`, `unseen=true`)",
    handler: async (req) => {
      const limit = limitParam(req.query);
      if (E.isLeft(limit)) return limit.left;
      const before = beforeParam(req.query);
      if (E.isLeft(before)) return before.left;
      // Anything but these was read as false: `unseen=yes` listed every message without a word.
      const flag = req.query.get('unseen');
      if (flag !== null && !UNSEEN.has(flag)) return errors.invalidQuery('unseen', 'expected true, false, 1 or 0');
      const unseen = flag === 'true' || flag === '1';
      const headers = await consistentRead(deps, req);
      const page = await deps.reads.inbox(req.actor.uid, { limit: limit.right, unseen, ...before.right }, req.now);
      return {
        status: 200,
        headers,
        body: {
          messages: page.messages.map((m) => ({
            ...messageJson(personal(m, req.actor.uid)),
            seen: m.seen,
            read: m.read,
          })),
          next: page.next,
        },
      };
    },
  },
  {
    method: 'post',
    path: '/api/v2/ack',
    access: 'user',
    body: true,
    idempotent: true,
    summary: 'Record receipts: delivered, seen, read or clicked',
    handler: async (req) => {
      const b = decode(AckBody, req);
      if (E.isLeft(b)) return b.left;
      // Receipts record where they came from: the API, unless the client names the channel it saw the message on.
      return answer(
        await deps.commands.acknowledge(contextOf(req), b.right.mids, b.right.status, b.right.channel ?? 'api'),
      );
    },
  },
  {
    method: 'post',
    path: '/api/v2/read',
    access: 'user',
    body: true,
    idempotent: true,
    summary: 'Mark everything up to `mid` (in thread `tid`, or the whole inbox) as read',
    handler: async (req) => {
      const b = decode(ReadBody, req);
      if (E.isLeft(b)) return b.left;
      return answer(await deps.commands.markRead(contextOf(req), b.right.mid, b.right.tid));
    },
  },
  {
    method: 'post',
    path: '/api/v2/inbox/delete',
    access: 'user',
    body: true,
    idempotent: true,
    summary: "Delete messages from the caller's own inbox",
    handler: async (req) => {
      const b = decode(InboxDeleteBody, req);
      if (E.isLeft(b)) return b.left;
      return answer(await deps.commands.deleteFromInbox(contextOf(req), b.right.mids));
    },
  },
];
