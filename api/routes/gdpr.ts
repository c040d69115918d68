import * as E from 'fp-ts/lib/Either.js';
import { deviceChannel } from '../../schema/devices.js';
import { streams } from '../../schema/events.js';
import { UserId } from '../../schema/ids.js';
import { isAdmin } from '../auth.js';
import { answer, consistentRead, contextOf, type AppDeps } from '../deps.js';
import { errors, fromDomainError } from '../errors.js';
import type { Route, RouteRequest } from '../route.js';

// GDPR (docs/gdpr.md): erasure by crypto-shredding, and the subject-access export.

const EXPORT_EVENTS = 10_000;
const EXPORT_INBOX = 200;

const uidParam = (req: RouteRequest): E.Either<ReturnType<typeof errors.invalidQuery>, UserId> => {
  const uid = req.params['uid'] ?? '';
  return UserId.is(uid) ? E.right(uid) : E.left(errors.invalidQuery('uid', 'not a user id'));
};

// What the broker holds on the user, read through the log's sealing (opened while the key exists):
// the profile fold, the devices read model, the inbox's newest messages and the user's own stream.
const exportOf = async (deps: AppDeps, req: RouteRequest, uid: UserId) => {
  const profile = await deps.commands.loadProfile(uid);
  if (E.isLeft(profile)) return fromDomainError(profile.left);
  const headers = await consistentRead(deps, req);
  const events = await deps.store.read(streams.user(uid), { limit: EXPORT_EVENTS });
  if (events.length === 0) return errors.notFound(`user ${uid} not found`);
  const inbox = await deps.reads.inbox(uid, { limit: EXPORT_INBOX }, new Date());
  const p = profile.right;
  return {
    status: 200,
    headers,
    body: {
      uid,
      exportedAt: new Date().toISOString(),
      profile: {
        email: p.email,
        cell: p.cell,
        channels: p.channels,
        threads: Object.fromEntries(p.threadChannels),
        attributes: p.attributes,
        timezone: p.timezone,
        quietHours: p.quietHours,
        devices: [...p.devices]
          .reverse()
          .map((d) => ({ deviceId: d.deviceId, channel: deviceChannel(d.device), device: d.device })),
      },
      inbox: inbox.messages,
      events: events.map((e) => ({
        position: e.position,
        revision: e.revision,
        type: e.type,
        occurredAt: e.metadata.occurredAt,
        data: e.data,
      })),
    },
  };
};

export const gdprRoutes = (deps: AppDeps): Route[] => [
  {
    method: 'post',
    path: '/api/v2/users/{uid}/erase',
    access: 'admin',
    idempotent: true,
    summary: 'Erase a user (admin): destroys their data keys and records UserErased; every read model forgets them',
    handler: async (req) => {
      const uid = uidParam(req);
      if (E.isLeft(uid)) return uid.left;
      return answer(await deps.commands.eraseUser(contextOf(req), uid.right), (v) => ({
        status: 200,
        body: { uid: uid.right, erased: true, keysDestroyed: v.keysDestroyed, position: v.position },
        headers: { 'X-Position': String(v.position) },
      }));
    },
  },
  {
    method: 'get',
    path: '/api/v2/users/{uid}/export',
    access: 'user',
    summary: 'Subject-access export (the user themself, or an admin): what the broker holds on the user, as JSON',
    handler: async (req) => {
      const uid = uidParam(req);
      if (E.isLeft(uid)) return uid.left;
      if (uid.right !== req.actor.uid && !isAdmin(req.actor))
        return errors.forbidden("only admins may export another user's data");
      return exportOf(deps, req, uid.right);
    },
  },
];
