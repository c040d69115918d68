import * as E from 'fp-ts/lib/Either.js';
import { asThreadId, ThreadId } from '../../schema/ids.js';
import { CreateThreadBody, MemberBody, ThreadBody, UnsubscribeBody } from '../../schema/http.js';
import { isAdmin } from '../auth.js';
import { answer, consistentRead, contextOf, type AppDeps } from '../deps.js';
import { errors } from '../errors.js';
import { beforeParam, decode, limitParam, type Route } from '../route.js';
import { messageJsonFor } from './content.js';
import { mayReadThreadMessages } from './message-access.js';

export const threadRoutes = (deps: AppDeps): Route[] => {
  const { commands, reads } = deps;
  const tidParam = (
    p: Readonly<Record<string, string>>,
  ): E.Either<ReturnType<typeof errors.invalidQuery>, ThreadId> => {
    const tid = p['tid'] ?? '';
    return ThreadId.is(tid) ? E.right(tid) : E.left(errors.invalidQuery('tid', 'not a thread id'));
  };
  return [
    {
      method: 'post',
      path: '/api/v2/threads',
      access: 'user',
      body: true,
      idempotent: true,
      summary: 'Create a thread; the caller owns it',
      handler: async (req) => {
        const b = decode(CreateThreadBody, req);
        if (E.isLeft(b)) return b.left;
        const tid = b.right.tid ?? asThreadId(req.newMessageId);
        return answer(await commands.createThread(contextOf(req), { ...b.right, tid }), (v) => ({
          status: 201,
          body: { tid: v.tid },
          headers: { 'X-Position': String(v.position), Location: `/api/v2/threads/${v.tid}` },
        }));
      },
    },
    {
      method: 'get',
      path: '/api/v2/threads/{tid}',
      access: 'user',
      summary: 'A thread: settings and members (members, admins, or anyone when open to subscribe)',
      handler: async (req) => {
        const tid = tidParam(req.params);
        if (E.isLeft(tid)) return tid.left;
        const headers = await consistentRead(deps, req);
        const thread = await reads.thread(tid.right);
        if (thread === undefined) return errors.notFound(`thread ${tid.right} not found`);
        const roles = await reads.memberRoles(tid.right, req.actor.uid);
        if (!thread.opens && roles.length === 0 && thread.owner !== req.actor.uid && !isAdmin(req.actor)) {
          return errors.notFound(`thread ${tid.right} not found`);
        }
        return { status: 200, body: thread, headers };
      },
    },
    {
      method: 'post',
      path: '/api/v2/threads/{tid}/members',
      access: 'user',
      body: true,
      idempotent: true,
      summary: 'Add a member with a role (owner/admin)',
      handler: async (req) => {
        const tid = tidParam(req.params);
        if (E.isLeft(tid)) return tid.left;
        const b = decode(MemberBody, req);
        if (E.isLeft(b)) return b.left;
        return answer(await commands.addMember(contextOf(req), tid.right, b.right.uid, b.right.role));
      },
    },
    {
      method: 'get',
      path: '/api/v2/threads/{tid}/messages',
      access: 'user',
      summary: 'Messages of a thread, newest first (members and admins)',
      handler: async (req) => {
        const tid = tidParam(req.params);
        if (E.isLeft(tid)) return tid.left;
        const limit = limitParam(req.query);
        if (E.isLeft(limit)) return limit.left;
        const before = beforeParam(req.query);
        if (E.isLeft(before)) return before.left;
        const headers = await consistentRead(deps, req);
        if (!(await mayReadThreadMessages(deps, await reads.thread(tid.right), req.actor)))
          return errors.notFound(`thread ${tid.right} not found`);
        const page = await reads.threadMessages(tid.right, { limit: limit.right, ...before.right }, req.now);
        return {
          status: 200,
          body: {
            messages: page.messages.map((m) => messageJsonFor({ uid: req.actor.uid, admin: isAdmin(req.actor) }, m)),
            next: page.next,
          },
          headers,
        };
      },
    },
    {
      method: 'post',
      path: '/api/v2/subscribe',
      access: 'user',
      body: true,
      idempotent: true,
      summary: 'Subscribe the caller to a thread',
      handler: async (req) => {
        const b = decode(ThreadBody, req);
        if (E.isLeft(b)) return b.left;
        return answer(await commands.subscribe(contextOf(req), b.right.tid));
      },
    },
    {
      method: 'post',
      path: '/api/v2/unsubscribe',
      access: 'user',
      body: true,
      idempotent: true,
      summary: 'Unsubscribe the caller (or, for owner/admin, `uid`) from a thread',
      handler: async (req) => {
        const b = decode(UnsubscribeBody, req);
        if (E.isLeft(b)) return b.left;
        return answer(await commands.unsubscribe(contextOf(req), b.right.tid, b.right.uid));
      },
    },
  ];
};
