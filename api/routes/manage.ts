import * as E from 'fp-ts/lib/Either.js';
import { deviceChannel } from '../../schema/devices.js';
import { DeviceId, ThreadId, UserId } from '../../schema/ids.js';
import { EnlistBody, ThreadSettingsBody } from '../../schema/http.js';
import { ThreadRole } from '../../schema/events.js';
import type { Actor } from '../../schema/metadata.js';
import { isAdmin } from '../auth.js';
import { answer, consistentRead, contextOf, type AppDeps } from '../deps.js';
import { apiError, errors, fromDomainError, type ApiError } from '../errors.js';
import { decode, limitParam, type Route, type RouteRequest } from '../route.js';

// The management API an app needs beside the seed routes (issue 14): devices (list, logout),
// thread settings and members, the caller's threads, and their profile read back. Hidden and
// unknown threads answer alike (README, "Threads and messages you may not see").

type Param<A> = E.Either<ApiError, A>;
const param =
  <A>(is: (u: unknown) => u is A, what: string) =>
  (req: RouteRequest, name: string): Param<A> => {
    const v = req.params[name] ?? '';
    return is(v) ? E.right(v) : E.left(errors.invalidQuery(name, `not a ${what}`));
  };
const tidOf = param(ThreadId.is, 'thread id');
const uidOf = param(UserId.is, 'user id');
const deviceIdOf = param(DeviceId.is, 'device id');

const deviceNotFound = apiError(404, 'DeviceNotFound', 'no enlisted device has this id');
const threadNotFound = (tid: string): ApiError => errors.notFound(`thread ${tid} not found`);

/** Self or admin, as for GET /api/v2/users/{uid}/devices. */
const selfOrAdmin = (actor: Actor, uid: string, what: string): ApiError | undefined =>
  uid === actor.uid || isAdmin(actor) ? undefined : errors.forbidden(`only admins may ${what} of another user`);

/** `?after=` of an id-paged list: absent, or an id (else a 400). */
const afterParam = (q: URLSearchParams): Param<{ after?: string }> => {
  const raw = q.get('after');
  if (raw === null || raw === '') return E.right({});
  return UserId.is(raw)
    ? E.right({ after: raw })
    : E.left(errors.invalidQuery('after', 'not an id returned as `next`'));
};

export const manageRoutes = (deps: AppDeps): Route[] => {
  const { commands, reads } = deps;

  const removeDevice = async (
    req: RouteRequest,
    uid: Param<UserId>,
  ): Promise<ApiError | { status: number; body: unknown; headers: Record<string, string> }> => {
    if (E.isLeft(uid)) return uid.left;
    const id = deviceIdOf(req, 'deviceId');
    if (E.isLeft(id)) return id.left;
    const refused = selfOrAdmin(req.actor, uid.right, 'remove the devices');
    if (refused !== undefined) return refused;
    const r = await commands.removeDevice(contextOf(req), uid.right, { deviceId: id.right });
    if (E.isLeft(r)) return fromDomainError(r.left);
    if (!r.right.revoked) return deviceNotFound;
    return { status: 200, body: true, headers: { 'X-Position': String(r.right.position) } };
  };

  /** The thread as the caller may see it (hidden = unknown), with the caller's roles. */
  const visibleThread = async (req: RouteRequest, tid: string) => {
    const thread = await reads.thread(tid);
    if (thread === undefined) return undefined;
    const roles = await reads.memberRoles(tid, req.actor.uid);
    const member = roles.length > 0 || thread.owner === req.actor.uid || isAdmin(req.actor);
    return thread.opens || member ? { thread, member } : undefined;
  };

  return [
    {
      method: 'get',
      path: '/api/v2/devices',
      access: 'user',
      summary: "The caller's enlisted devices, newest first",
      handler: async (req) => {
        const headers = await consistentRead(deps, req);
        return { status: 200, body: { devices: await reads.devicesByUser(req.actor.uid) }, headers };
      },
    },
    {
      method: 'delete',
      path: '/api/v2/devices/{deviceId}',
      access: 'user',
      idempotent: true,
      summary: "Remove one of the caller's devices (logout); 404 when it is not enlisted",
      handler: (req) => removeDevice(req, E.right(req.actor.uid as UserId)),
    },
    {
      method: 'delete',
      path: '/api/v2/users/{uid}/devices/{deviceId}',
      access: 'user',
      idempotent: true,
      summary: "Remove a user's device (self or admin); 404 when it is not enlisted",
      handler: (req) => removeDevice(req, uidOf(req, 'uid')),
    },
    {
      method: 'post',
      path: '/api/v2/logout',
      access: 'user',
      body: true,
      idempotent: true,
      summary: 'Remove the device this body enlisted (the enlist body: {os, token} or a PushSubscription)',
      handler: async (req) => {
        const b = decode(EnlistBody, req);
        if (E.isLeft(b)) return b.left;
        // Logging out a device that is not enlisted is already done: `true` either way.
        return answer(await commands.removeDevice(contextOf(req), req.actor.uid as UserId, { device: b.right }));
      },
    },
    {
      method: 'post',
      path: '/api/v2/threads/{tid}/settings',
      access: 'user',
      body: true,
      idempotent: true,
      summary: 'Rename a thread or open/close it to subscribers and publishers (owner, thread admins, admins)',
      handler: async (req) => {
        const tid = tidOf(req, 'tid');
        if (E.isLeft(tid)) return tid.left;
        const b = decode(ThreadSettingsBody, req);
        if (E.isLeft(b)) return b.left;
        if (b.right.name === undefined && b.right.opens === undefined && b.right.openp === undefined)
          return errors.invalidBody(['expected at least one of name, opens, openp']);
        return answer(await commands.changeThreadSettings(contextOf(req), tid.right, b.right));
      },
    },
    {
      method: 'delete',
      path: '/api/v2/threads/{tid}/members/{uid}',
      access: 'user',
      idempotent: true,
      summary: 'Remove a member from a thread: one role (`?role=`) or every role (owner, thread admins, admins)',
      handler: async (req) => {
        const tid = tidOf(req, 'tid');
        if (E.isLeft(tid)) return tid.left;
        const uid = uidOf(req, 'uid');
        if (E.isLeft(uid)) return uid.left;
        const role = req.query.get('role');
        if (role !== null && !ThreadRole.is(role))
          return errors.invalidQuery('role', 'expected admin, publisher or subscriber');
        return answer(
          await commands.removeMember(contextOf(req), tid.right, uid.right, role === null ? undefined : role),
        );
      },
    },
    {
      method: 'get',
      path: '/api/v2/threads',
      access: 'user',
      summary: 'The threads the caller owns or holds a role in, by tid (`after`, `limit`)',
      handler: async (req) => {
        const limit = limitParam(req.query);
        if (E.isLeft(limit)) return limit.left;
        const after = afterParam(req.query);
        if (E.isLeft(after)) return after.left;
        const headers = await consistentRead(deps, req);
        const mine = await reads.threadsOf(req.actor.uid, { ...after.right, limit: limit.right });
        const views = await Promise.all(mine.map((m) => reads.thread(m.tid)));
        const threads = mine.map((m, i) => {
          const v = views[i];
          return {
            tid: m.tid,
            owner: m.owner,
            roles: m.roles,
            ...(v?.name !== undefined ? { name: v.name } : {}),
            opens: v?.opens ?? false,
            openp: v?.openp ?? false,
          };
        });
        const last = mine[mine.length - 1];
        return {
          status: 200,
          body: { threads, next: mine.length === limit.right && last !== undefined ? last.tid : null },
          headers,
        };
      },
    },
    {
      method: 'get',
      path: '/api/v2/threads/{tid}/subscribers',
      access: 'user',
      summary: "A thread's subscribers with their roles, by uid (`after`, `limit`): its members and admins only",
      handler: async (req) => {
        const tid = tidOf(req, 'tid');
        if (E.isLeft(tid)) return tid.left;
        const limit = limitParam(req.query);
        if (E.isLeft(limit)) return limit.left;
        const after = afterParam(req.query);
        if (E.isLeft(after)) return after.left;
        const headers = await consistentRead(deps, req);
        const seen = await visibleThread(req, tid.right);
        if (seen === undefined) return threadNotFound(tid.right);
        if (!seen.member)
          return apiError(403, 'MembersOnly', "only the thread's members and admins may list its subscribers");
        // Members page by uid; those without the subscriber role are read past.
        const out: { uid: string; roles: readonly string[] }[] = [];
        let cursor = after.right.after;
        let more = true;
        while (out.length < limit.right && more) {
          const page = await reads.threadMembers(tid.right, {
            ...(cursor !== undefined ? { after: cursor } : {}),
            limit: 200,
          });
          for (const m of page) if (m.roles.includes('subscriber') && out.length < limit.right) out.push(m);
          more = page.length === 200;
          cursor = page[page.length - 1]?.uid;
        }
        const last = out[out.length - 1];
        return {
          status: 200,
          body: { subscribers: out, next: out.length === limit.right && last !== undefined ? last.uid : null },
          headers,
        };
      },
    },
    {
      method: 'get',
      path: '/api/v2/profile',
      access: 'user',
      summary: "The caller's profile: contact points, channel preferences, attributes, devices",
      handler: (req) => profile(deps, req.actor.uid as UserId),
    },
    {
      method: 'get',
      path: '/api/v2/users/{uid}/profile',
      access: 'user',
      summary: "A user's profile (self or admin)",
      handler: async (req) => {
        const uid = uidOf(req, 'uid');
        if (E.isLeft(uid)) return uid.left;
        return selfOrAdmin(req.actor, uid.right, 'read the profile') ?? profile(deps, uid.right);
      },
    },
  ];
};

// Read back from the user stream's fold (commands' loadProfile): what the last answered command left.
const profile = async (deps: AppDeps, uid: UserId) => {
  const r = await deps.commands.loadProfile(uid);
  if (E.isLeft(r)) return fromDomainError(r.left);
  const p = r.right;
  return {
    status: 200,
    body: {
      uid,
      email: p.email,
      cell: p.cell,
      channels: p.channels,
      threads: Object.fromEntries(p.threadChannels),
      attributes: p.attributes,
      timezone: p.timezone,
      quietHours: p.quietHours,
      devices: [...p.devices].reverse().map((d) => ({ deviceId: d.deviceId, channel: deviceChannel(d.device) })),
    },
  };
};
