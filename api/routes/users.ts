import * as E from 'fp-ts/lib/Either.js';
import { asUserId, UserId } from '../../schema/ids.js';
import { EnlistBody, ProfileBody } from '../../schema/http.js';
import { isAdmin } from '../auth.js';
import { answer, consistentRead, contextOf, type AppDeps } from '../deps.js';
import { errors } from '../errors.js';
import { decode, type Route } from '../route.js';

export const userRoutes = (deps: AppDeps): Route[] => {
  const enlist: Route['handler'] = async (req) => {
    const b = decode(EnlistBody, req);
    if (E.isLeft(b)) return b.left;
    return answer(await deps.commands.enlist(contextOf(req), b.right));
  };
  return [
    {
      method: 'post',
      path: '/api/v2/enlist',
      access: 'user',
      body: true,
      idempotent: true,
      summary: "Enlist the caller's device (APNs, FCM or web push)",
      handler: enlist,
    },
    {
      method: 'post',
      path: '/api/v1/native/subscribe',
      access: 'user',
      body: true,
      idempotent: true,
      summary: 'v1 name of enlist',
      handler: enlist,
    },
    {
      method: 'post',
      path: '/api/v2/profile',
      access: 'user',
      body: true,
      idempotent: true,
      summary: 'Set contact points, channel preferences (`~` opts out) and attributes (self, or `uid` for admins)',
      handler: async (req) => {
        const b = decode(ProfileBody, req);
        if (E.isLeft(b)) return b.left;
        const { uid, thread, ...rest } = b.right;
        return answer(
          await deps.commands.changeProfile(contextOf(req), uid ?? asUserId(req.actor.uid), {
            ...rest,
            ...(thread !== undefined ? { threadChannels: thread } : {}),
          }),
        );
      },
    },
    {
      method: 'get',
      path: '/api/v2/users/{uid}/devices',
      access: 'user',
      summary: "A user's enlisted devices, newest first (self or admin)",
      handler: async (req) => {
        const uid = req.params['uid'] ?? '';
        if (!UserId.is(uid)) return errors.invalidQuery('uid', 'not a user id');
        if (uid !== req.actor.uid && !isAdmin(req.actor))
          return errors.forbidden("only admins may read another user's devices");
        const headers = await consistentRead(deps, req);
        return { status: 200, body: { devices: await deps.reads.devicesByUser(uid) }, headers };
      },
    },
  ];
};
